package org.vccp.checkpoint.verify;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Every setting of {@code vccp verify}, with its default, validated in one place.
 *
 * <ul>
 *   <li>{@code graceNs}: frames recorded this close to a run's last event and not yet delivered are
 *       "in flight at end", not lost (default 1 s).
 *   <li>{@code windowFrames}, {@code windowNs}: how long a frame stays pending before an
 *       undelivered one counts as lost, and a TCP hole or UDP gap stays open before it is reported
 *       (defaults 1,048,576 frames and 10 s). They bound the analyser's memory.
 *   <li>{@code maxFlows}: flows kept before idle ones are closed (default 200,000).
 * </ul>
 */
public final class VerifyContext {
  public final List<Path> inputs = new ArrayList<>();
  public final List<Path> checkpoints = new ArrayList<>();
  public Path jsonFile;
  public long graceNs = 1_000_000_000L;
  public int windowFrames = 1 << 20;
  public long windowNs = 10_000_000_000L;
  public int maxFlows = 200_000;
  public int keepFindings = 10_000;
  public boolean progress;
  public List<SequencePayload> sequencePayloads = defaultPayloads();

  /** The UDP sequence formats recognised unless the caller sets others. */
  public static List<SequencePayload> defaultPayloads() {
    return new ArrayList<>(List.of(new UdpSeqPayload(), new VccpSeqPayload()));
  }

  /** Checks every setting; throws IllegalArgumentException naming the one that is wrong. */
  public VerifyContext validate() {
    if (inputs.isEmpty()) {
      throw new IllegalArgumentException("no input: give at least one capture FILE or DIR");
    }
    if (graceNs < 0) {
      throw new IllegalArgumentException("grace must be 0 or more, not " + graceNs + " ns");
    }
    if (windowFrames < 1024) {
      throw new IllegalArgumentException(
          "window must be at least 1024 frames, not " + windowFrames);
    }
    if (windowNs <= 0) {
      throw new IllegalArgumentException("window time must be positive, not " + windowNs + " ns");
    }
    if (maxFlows < 16) {
      throw new IllegalArgumentException("maxFlows must be at least 16, not " + maxFlows);
    }
    return this;
  }
}
