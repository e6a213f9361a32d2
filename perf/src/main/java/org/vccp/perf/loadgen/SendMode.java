package org.vccp.perf.loadgen;

/** How a sender spaces its frames in time. */
public enum SendMode {
  /** As fast as the peer accepts them: measures throughput. */
  MAX,
  /**
   * A fixed rate per sender, evenly spaced; each frame carries its intended send time, so a stalled
   * peer shows up as latency instead of silently lowering the offered load.
   */
  PACED
}
