package org.vccp.qemu.tap;

/** A TAP, ACL or switch-attachment step failed; the message says which and what to do. */
public final class TapException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public TapException(String message) {
    super(message);
  }

  public TapException(String message, Throwable cause) {
    super(message, cause);
  }
}
