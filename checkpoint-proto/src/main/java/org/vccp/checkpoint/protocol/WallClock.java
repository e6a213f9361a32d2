package org.vccp.checkpoint.protocol;

import java.time.Instant;

final class WallClock {
  private WallClock() {}

  static long nowNs() {
    Instant i = Instant.now();
    return i.getEpochSecond() * 1_000_000_000L + i.getNano();
  }
}
