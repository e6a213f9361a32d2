package org.vccp.perf.loadgen;

/**
 * What one generator run offers: the port shape, frame size, pacing and timing.
 *
 * <p>Ports are numbered senders first, then receivers: port {@code i < senders} is sender {@code
 * i}, port {@code senders + r} is receiver {@code r}. Every setting is checked in {@link
 * #validate()}, the one place that knows the constraints.
 *
 * @param senders number of sender ports
 * @param receivers number of receiver ports; senders address them round-robin
 * @param frameBytes Ethernet frame size without the 4-byte stream prefix and without FCS
 * @param mode {@link SendMode#MAX} or {@link SendMode#PACED}
 * @param ratePerSender frames per second per sender when paced; ignored at max rate
 * @param warmupMs traffic before the measurement window; counted for loss, not for rates
 * @param durationMs length of the measurement window
 * @param drainQuietMs after sending stops, the run ends once no frame arrived for this long
 * @param drainMaxMs upper bound on that wait, whatever still trickles in
 */
public record LoadSpec(
    int senders,
    int receivers,
    int frameBytes,
    SendMode mode,
    long ratePerSender,
    long warmupMs,
    long durationMs,
    long drainQuietMs,
    long drainMaxMs) {

  public static final int MIN_FRAME_BYTES = 60;
  public static final int MAX_FRAME_BYTES = 65_535;
  public static final int MAX_PORTS = 256;
  public static final long DEFAULT_DRAIN_QUIET_MS = 500;
  public static final long DEFAULT_DRAIN_MAX_MS = 5_000;

  /** A spec with the default drain timing. */
  public static LoadSpec of(
      int senders,
      int receivers,
      int frameBytes,
      SendMode mode,
      long ratePerSender,
      long warmupMs,
      long durationMs) {
    return new LoadSpec(
        senders,
        receivers,
        frameBytes,
        mode,
        ratePerSender,
        warmupMs,
        durationMs,
        DEFAULT_DRAIN_QUIET_MS,
        DEFAULT_DRAIN_MAX_MS);
  }

  /** Checks every constraint and returns this spec, or throws naming the broken one. */
  public LoadSpec validate() {
    require(senders >= 1, "--senders must be at least 1, was " + senders);
    require(receivers >= 1, "--receivers must be at least 1, was " + receivers);
    require(
        senders + receivers <= MAX_PORTS,
        "--senders plus --receivers must be at most " + MAX_PORTS + ", was " + ports());
    require(
        frameBytes >= MIN_FRAME_BYTES && frameBytes <= MAX_FRAME_BYTES,
        "--frame-bytes must be between "
            + MIN_FRAME_BYTES
            + " and "
            + MAX_FRAME_BYTES
            + " (Ethernet frame without FCS), was "
            + frameBytes);
    require(mode != null, "--mode must be max or paced");
    require(
        mode != SendMode.PACED || (ratePerSender > 0 && ratePerSender <= 100_000_000),
        "--rate must be between 1 and 100000000 frames/s per sender when --mode paced, was "
            + ratePerSender);
    require(warmupMs >= 0, "--warmup must not be negative, was " + warmupMs + " ms");
    require(durationMs >= 1, "--duration must be at least 1 ms, was " + durationMs + " ms");
    require(drainQuietMs >= 1, "drain quiet time must be at least 1 ms, was " + drainQuietMs);
    require(
        drainMaxMs >= drainQuietMs,
        "drain bound (" + drainMaxMs + " ms) must be at least the quiet time " + drainQuietMs);
    return this;
  }

  /** Total number of ports the peer must provide. */
  public int ports() {
    return senders + receivers;
  }

  /** A short human label, e.g. {@code 2→1 64 B max} or {@code 1→1 64 B paced 10000/s}. */
  public String label() {
    String pacing = mode == SendMode.MAX ? "max" : "paced " + ratePerSender + "/s";
    return senders + "→" + receivers + " " + frameBytes + " B " + pacing;
  }

  private static void require(boolean condition, String message) {
    if (!condition) {
      throw new IllegalArgumentException(message);
    }
  }
}
