package org.vccp.vnet.port;

import org.vccp.vnet.status.PortCounter;

/** A peer sent something that is not a frame; the connection that sent it is closed. */
public final class BadFrameException extends RuntimeException {
  private final PortCounter reason;
  private final long value;

  public BadFrameException(PortCounter reason, long value, String message) {
    super(message, null, false, false);
    this.reason = reason;
    this.value = value;
  }

  public PortCounter reason() {
    return reason;
  }

  public long value() {
    return value;
  }
}
