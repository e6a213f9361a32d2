package org.vccp.qemu.qmp;

/**
 * A QMP command failed. When QEMU itself refused the command, {@link #errorClass()} and {@link
 * #desc()} hold QEMU's {@code error.class} (e.g. {@code CommandNotFound}, {@code GenericError}) and
 * {@code error.desc}; the subclasses {@link QmpTimeoutException} and {@link QmpConnectionException}
 * are failures on VCCP's side of the socket, with no QEMU error class.
 */
public class QmpException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final String command;
  private final String errorClass;
  private final String desc;

  /** QEMU answered {@code command} with {@code {"error": {"class": ..., "desc": ...}}}. */
  public QmpException(String label, String command, String errorClass, String desc) {
    super(label + ": QMP " + command + " failed: " + errorClass + ": " + desc);
    this.command = command;
    this.errorClass = errorClass;
    this.desc = desc;
  }

  /** A failure that is not QEMU's answer; {@link #errorClass()} is null. */
  protected QmpException(String command, String message, Throwable cause) {
    super(message, cause);
    this.command = command;
    this.errorClass = null;
    this.desc = null;
  }

  /** The QMP command that failed, e.g. {@code migrate}. */
  public String command() {
    return command;
  }

  /** QEMU's error class, or null if QEMU did not answer. */
  public String errorClass() {
    return errorClass;
  }

  /** QEMU's error description, or null if QEMU did not answer. */
  public String desc() {
    return desc;
  }

  /** True when this is QEMU's own error answer. */
  public boolean isQemuError() {
    return errorClass != null;
  }
}
