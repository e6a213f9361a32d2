package org.vccp.qemu.hypervisor;

import com.fasterxml.jackson.databind.JsonNode;
import org.vccp.checkpoint.protocol.GuestLauncher;
import org.vccp.checkpoint.protocol.Hypervisor;
import org.vccp.qemu.guest.QemuGuest;

/** Starts a guest from its recorded spec, with the identical command line plus -incoming defer. */
public final class QemuLauncher implements GuestLauncher {
  @Override
  public Hypervisor startIncoming(String name, String port, JsonNode spec) {
    return new QemuHypervisor(QemuGuest.startIncoming(QemuHypervisor.specOf(spec)), port);
  }
}
