package org.vccp.qemu.qmp;

/**
 * The QMP socket could not be opened, or closed (QEMU exited, was killed, or the client was closed)
 * while a command waited for its answer.
 */
public final class QmpConnectionException extends QmpException {

  private static final long serialVersionUID = 1L;

  public QmpConnectionException(String command, String message, Throwable cause) {
    super(command, message, cause);
  }
}
