package org.vccp.qemu.qmp;

/** A QMP command got no answer within its timeout; the connection stays usable. */
public final class QmpTimeoutException extends QmpException {

  private static final long serialVersionUID = 1L;

  public QmpTimeoutException(String command, String message) {
    super(command, message, null);
  }
}
