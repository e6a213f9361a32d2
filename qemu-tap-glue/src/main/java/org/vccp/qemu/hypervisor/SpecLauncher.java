package org.vccp.qemu.hypervisor;

import com.fasterxml.jackson.databind.JsonNode;
import org.vccp.checkpoint.protocol.GuestLauncher;
import org.vccp.checkpoint.protocol.Hypervisor;

/**
 * Starts each guest of a manifest with the launcher its spec calls for: a sim-guest spec ({@link
 * SimHypervisor#isSimSpec}) with {@link SimLauncher}, anything else with {@link QemuLauncher}. So a
 * checkpoint restores as the kind of guests it was taken of.
 */
public final class SpecLauncher implements GuestLauncher {
  private final GuestLauncher qemu = new QemuLauncher();
  private final GuestLauncher sim = new SimLauncher();

  @Override
  public Hypervisor startIncoming(String name, String port, JsonNode spec) throws Exception {
    return (SimHypervisor.isSimSpec(spec) ? sim : qemu).startIncoming(name, port, spec);
  }
}
