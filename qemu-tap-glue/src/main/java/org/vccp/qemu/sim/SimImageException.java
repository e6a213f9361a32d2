package org.vccp.qemu.sim;

import java.io.IOException;

/** A migration stream that is not a whole, intact image of a compatible simulated guest. */
public final class SimImageException extends IOException {
  public SimImageException(String message) {
    super(message);
  }
}
