package org.vccp.qemu.hypervisor;

import com.fasterxml.jackson.databind.JsonNode;
import org.vccp.checkpoint.protocol.GuestLauncher;
import org.vccp.checkpoint.protocol.Hypervisor;

/** Starts a sim-guest from its manifest spec, the same command line plus --incoming defer. */
public final class SimLauncher implements GuestLauncher {
  @Override
  public Hypervisor startIncoming(String name, String port, JsonNode spec) {
    return SimHypervisor.start(SimHypervisor.optionsOf(spec).withIncomingDefer(true), port);
  }
}
