package org.vccp.qemu.image;

/** The guest image could not be built or found; the message says which step and what to do. */
public final class GuestImageException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public GuestImageException(String message) {
    super(message);
  }

  public GuestImageException(String message, Throwable cause) {
    super(message, cause);
  }
}
