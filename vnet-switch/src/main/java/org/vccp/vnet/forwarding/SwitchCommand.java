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

  /** Reads the MAC table on the forwarder thread. */
  record ListMacs(CompletableFuture<List<MacTable.Entry>> result) implements SwitchCommand {}
}
