package org.vccp.checkpoint.protocol;

import java.nio.file.Path;
import java.util.List;
import org.vccp.checkpoint.store.Manifest;

/**
 * What the coordinator asks of one host's agent, in protocol order. Implemented by {@link Agent}
 * in-process and by {@link RemoteAgent} over TCP.
 */
public interface AgentLink extends AutoCloseable {
  /** The agent's host name, for messages. */
  String host();

  /**
   * Holds every guest port, waits until each guest has read what was written to it, stops every
   * guest, and marks each port's cut once its ingress is quiet. {@code naive} skips holding and
   * waiting (the procedure VCCP exists to fix; for comparisons only).
   */
  Prepared prepare(long epoch, boolean naive) throws CheckpointException;

  /**
   * Pushes out what this host's switch still has for other switches (inter-switch links: every port
   * that is not a guest's) and takes in what they sent, once every guest of the cluster is stopped.
   * The coordinator repeats it on every agent until a round moves nothing, so frames in flight
   * between switches at the cut end up held at their guest ports and in the channel state.
   *
   * @return the link ports' frame counters (received plus sent) after the flush; equal totals in
   *     two rounds mean nothing moved between them
   */
  long flushLinks(long epoch) throws CheckpointException;

  /** Saves every guest's image, its ports' channel state and the switch state into {@code dir}. */
  Snapshotted snapshot(long epoch, Path dir) throws CheckpointException;

  /** Continues every guest, then releases every hold in order. */
  Resumed resume(long epoch) throws CheckpointException;

  /**
   * Abandons the epoch: continues every guest still alive and releases every hold. Never throws.
   */
  void abort(long epoch, String reason);

  /** Writes a mark line into the switch recording. */
  void mark(String text);

  @Override
  void close();

  /**
   * @param firstStopNs wall-clock ns of the first guest stop
   */
  record Prepared(String host, long firstStopNs, List<String> guests) {}

  record Snapshotted(
      String host,
      List<Manifest.Guest> guests,
      List<Manifest.Channel> channels,
      Manifest.FileRef switchState,
      long heldFrames) {}

  /**
   * @param lastContNs wall-clock ns when the last guest was continued
   */
  record Resumed(String host, long lastContNs, long releasedFrames) {}
}
