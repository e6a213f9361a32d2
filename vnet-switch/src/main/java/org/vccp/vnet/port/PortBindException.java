package org.vccp.vnet.port;

/** A port could not bind or listen; the message names the port, the address and why. */
public final class PortBindException extends RuntimeException {
  public PortBindException(String message, Throwable cause) {
    super(message, cause);
  }
}
