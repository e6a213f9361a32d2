package org.vccp.qemu.guest;

/** A guest did not start, exited, or did not say what was awaited in time; names the guest. */
public final class QemuGuestException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public QemuGuestException(String message) {
    super(message);
  }

  public QemuGuestException(String message, Throwable cause) {
    super(message, cause);
  }
}
