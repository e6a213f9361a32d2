package org.vccp.vnet.forwarding;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.vccp.vnet.port.Port;

/**
 * Control commands that travel through the frame ring, so each takes effect at one precise point
 * between frames and the forwarder's state has a single writer.
 */
public sealed interface SwitchCommand {
  /** Starts forwarding to and from {@code port}. */
  record AddPort(Port port, CompletableFuture<Void> done) implements SwitchCommand {}

  /** Stops forwarding to and from the port and forgets its MAC entries. */
  record RemovePort(int portId, CompletableFuture<Void> done) implements SwitchCommand {}

  /** Adds a static MAC entry. */
  record AddStaticMac(int vlan, long mac, int portId, CompletableFuture<Void> done)
      implements SwitchCommand {}

  /** Periodic housekeeping: MAC aging. */
  record Tick() implements SwitchCommand {}

  /** A lossless port's queue drained: move its overflow in and maybe resume its senders. */
  record EgressWritable(int portId) implements SwitchCommand {}

  /**
   * Frames that were queued for the port (their egress events are recorded) and never reached its
   * peer: it left, or the interface refused them. Only the recorder acts on it, writing an unsent
   * event per frame (docs/recording-format.md). The counters already hold them under {@code
   * reason}.
   *
   * @param packetIds the frames' packet ids, oldest first
   * @param fromPorts each frame's ingress port id, or -1 when unknown
   * @param lengths each frame's length as queued
   */
  record EgressUnsent(
      int portId,
      org.vccp.vnet.status.PortCounter reason,
      long[] packetIds,
      int[] fromPorts,
      int[] lengths)
      implements SwitchCommand {}

  /**
   * Starts recording with {@code settings}, or stops it when they are null; the recorder answers
   * with its state once the change has taken effect.
   */
  record Record(
      org.vccp.vnet.record.RecordingSettings settings,
      CompletableFuture<org.vccp.vnet.record.RecordingStatus> done)
      implements SwitchCommand {}

  /** Asks the recorder for its state. */
  record RecordStatus(CompletableFuture<org.vccp.vnet.record.RecordingStatus> done)
      implements SwitchCommand {}

  /**
   * A line of text written to the recording at this point of the frame stream (checkpoint marks,
   * see docs/recording-format.md); completes with whether a recording was on to receive it.
   */
  record Mark(String text, CompletableFuture<Boolean> done) implements SwitchCommand {}

  /**
   * From now on frames to the port go, in order, to its hold queue instead of its socket; {@code
   * epoch} labels them (checkpoint epoch).
   */
  record Hold(int portId, long epoch, CompletableFuture<Void> done) implements SwitchCommand {}

  /**
   * Writes the port's hold queue out in order, before any newer frame to the port, and ends the
   * hold; completes with the number of frames that were held.
   */
  record Release(int portId, CompletableFuture<Long> done) implements SwitchCommand {}

  /** Copies the port's held frames, oldest first (channel state for a checkpoint). */
  record ExportHeld(int portId, CompletableFuture<List<org.vccp.vnet.hold.HeldFrame>> result)
      implements SwitchCommand {}

  /** Appends frames (a checkpoint's channel state) to a held port's queue, to be replayed. */
  record ImportHeld(
      int portId, List<org.vccp.vnet.hold.HeldFrame> frames, CompletableFuture<Void> done)
      implements SwitchCommand {}

  /**
   * Drops everything a held port has queued (frames of a timeline a restore abandons); completes
   * with how many.
   */
  record DiscardHeld(int portId, CompletableFuture<Long> done) implements SwitchCommand {}

  /** Learns a MAC entry as if a frame from it had just arrived (restoring a MAC table). */
  record LearnMac(int vlan, long mac, int portId, CompletableFuture<Void> done)
      implements SwitchCommand {}

  /** Reads the MAC table on the forwarder thread. */
  record ListMacs(CompletableFuture<List<MacTable.Entry>> result) implements SwitchCommand {}
}
