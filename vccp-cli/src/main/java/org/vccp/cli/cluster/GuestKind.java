package org.vccp.cli.cluster;

import java.util.Locale;
import org.vccp.qemu.guest.QemuCommandLine;

/**
 * What a cluster's guests run as ({@code guest_kind:} in the cluster file): real QEMU virtual
 * machines, simulated guests ({@code vccp sim-guest} processes, which speak the same QMP and stream
 * netdev and go through the same checkpoint code), or {@code auto}: QEMU when {@code
 * qemu-system-x86_64} is on the PATH, else simulated.
 */
public enum GuestKind {
  QEMU,
  SIMULATED,
  AUTO;

  /** Reads {@code qemu}, {@code simulated} or {@code auto}; the error lists them. */
  public static GuestKind parse(String text) {
    for (GuestKind k : values()) {
      if (k.name().toLowerCase(Locale.ROOT).equals(text)) {
        return k;
      }
    }
    throw new IllegalArgumentException("guest_kind '" + text + "' must be qemu, simulated or auto");
  }

  /** {@link #AUTO} decided: QEMU when it is installed, else simulated; others as they are. */
  public GuestKind resolve() {
    if (this != AUTO) {
      return this;
    }
    return QemuCommandLine.qemuAvailable() ? QEMU : SIMULATED;
  }

  @Override
  public String toString() {
    return name().toLowerCase(Locale.ROOT);
  }
}
