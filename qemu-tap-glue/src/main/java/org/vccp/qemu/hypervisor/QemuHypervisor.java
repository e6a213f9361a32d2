package org.vccp.qemu.hypervisor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import org.vccp.qemu.guest.GuestSpec;
import org.vccp.qemu.guest.QemuGuest;
import org.vccp.qemu.guest.SerialConsole;
import org.vccp.qemu.qmp.QmpClient;

/**
 * The checkpoint protocol's view of a QEMU process: {@link QmpHypervisor}'s stop, cont, save and
 * load over the process's QMP monitor; the manifest stores its {@link GuestSpec}.
 */
public final class QemuHypervisor extends QmpHypervisor {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final QemuGuest guest;

  public QemuHypervisor(QemuGuest guest, String port) {
    super(guest.name(), port);
    this.guest = guest;
  }

  public QemuGuest guest() {
    return guest;
  }

  @Override
  public QmpClient qmp() {
    return guest.qmp();
  }

  @Override
  public SerialConsole console() {
    return guest.console();
  }

  @Override
  public long pid() {
    return guest.pid();
  }

  @Override
  public long startedNanos() {
    return guest.startedNanos();
  }

  @Override
  protected boolean processAlive() {
    return guest.isAlive();
  }

  @Override
  protected String processName() {
    return "QEMU";
  }

  @Override
  protected int awaitExit(Duration timeout) {
    return guest.awaitExit(timeout);
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
  public void kill() {
    guest.kill();
  }

  @Override
  public void close() {
    guest.close();
  }
}
