package org.vccp.qemu.hypervisor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import org.vccp.checkpoint.protocol.Hypervisor;
import org.vccp.qemu.guest.GuestSpec;
import org.vccp.qemu.guest.QemuGuest;
import org.vccp.qemu.qmp.MigrationStatus;

/**
 * The checkpoint protocol's view of a QEMU process (real, or {@code vccp sim-guest} speaking the
 * same QMP subset): stop, cont, save to a file, load in restore mode — all over QMP.
 */
public final class QemuHypervisor implements Hypervisor {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final QemuGuest guest;
  private final String port;

  public QemuHypervisor(QemuGuest guest, String port) {
    this.guest = guest;
    this.port = port;
  }

  public QemuGuest guest() {
    return guest;
  }

  @Override
  public String name() {
    return guest.name();
  }

  @Override
  public String port() {
    return port;
  }

  @Override
  public JsonNode spec() {
    try {
      return JSON.readTree(guest.spec().toJson());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The launch spec stored by {@link #spec()}, read back. */
  public static GuestSpec specOf(JsonNode json) {
    return GuestSpec.fromJson(json.toString());
  }

  @Override
  public void stop(Duration timeout) {
    guest.qmp().call("stop", null, timeout);
  }

  @Override
  public void cont(Duration timeout) {
    guest.qmp().call("cont", null, timeout);
  }

  @Override
  public void save(Path file, Duration timeout) {
    MigrationStatus s = guest.saveTo(file, timeout);
    if (s.hasFailed()) {
      throw new IllegalStateException("migration to " + file + " failed: " + s.errorDesc());
    }
  }

  @Override
  public void load(Path file, Duration timeout) {
    String status = guest.loadFrom(file, timeout);
    if (!"paused".equals(status) && !"postmigrate".equals(status) && !"prelaunch".equals(status)) {
      throw new IllegalStateException("after loading " + file + " the guest is " + status);
    }
  }

  @Override
  public boolean isAlive() {
    return guest.isAlive() && guest.qmp().isConnected();
  }

  @Override
  public void kill() {
    guest.kill();
  }

  @Override
  public void close() {
    guest.close();
  }
}
