package org.vccp.perf.loadgen;

import java.util.List;

/**
 * What one generator run measured. Rates cover the measurement window only (frames received inside
 * it, divided by its length); loss, duplicates and reordering cover the whole run, warmup included,
 * after the drain.
 *
 * @param spec what was offered
 * @param windowSeconds length of the measurement window
 * @param framesSent data frames all senders sent over the whole run
 * @param framesSentInWindow data frames stamped inside the window
 * @param txFramesPerSecond offered rate inside the window
 * @param framesReceivedInWindow data frames that arrived at their receiver inside the window
 * @param rxFramesPerSecond delivered rate inside the window
 * @param rxGbitPerSecond delivered Ethernet bytes (frame only: no prefix, no FCS) in Gbit/s
 * @param framesReceived distinct data frames received over the whole run
 * @param lost frames sent and never received, after the drain
 * @param duplicated copies of frames already received
 * @param reordered frames that arrived after a later frame of the same (sender, receiver)
 * @param corrupt data frames whose sender index or sequence cannot be ours
 * @param discarded frames ports read that were not addressed to them (hellos, floods)
 * @param latency one-way latency of frames received inside the window
 * @param senders per-sender breakdown
 * @param sendLateness paced mode: how late the generator stamped the window's frames for sending
 *     (stamping minus intended send time), the generator's own share of {@code latency}; no samples
 *     at max rate
 */
public record LoadResult(
    LoadSpec spec,
    double windowSeconds,
    long framesSent,
    long framesSentInWindow,
    double txFramesPerSecond,
    long framesReceivedInWindow,
    double rxFramesPerSecond,
    double rxGbitPerSecond,
    long framesReceived,
    long lost,
    long duplicated,
    long reordered,
    long corrupt,
    long discarded,
    Latency latency,
    List<SenderStats> senders,
    Latency sendLateness) {

  /**
   * Latency percentiles in nanoseconds. In paced mode the send time is the intended one, so a stall
   * in the peer or the generator counts against every frame it delayed.
   */
  public record Latency(
      long samples, long p50Ns, long p99Ns, long p999Ns, long maxNs, double meanNs) {}

  /** One sender's frames, summed over the receivers it addressed. */
  public record SenderStats(
      int sender,
      long framesSent,
      long framesSentInWindow,
      long framesReceived,
      long lost,
      long duplicated,
      long reordered) {}

  /** True when every frame sent arrived exactly once and in order. */
  public boolean clean() {
    return lost == 0 && duplicated == 0 && reordered == 0 && corrupt == 0;
  }
}
