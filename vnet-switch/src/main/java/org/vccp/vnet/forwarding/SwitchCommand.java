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

  /** Reads the MAC table on the forwarder thread. */
  record ListMacs(CompletableFuture<List<MacTable.Entry>> result) implements SwitchCommand {}
}
