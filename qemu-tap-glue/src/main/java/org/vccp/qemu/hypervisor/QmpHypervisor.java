package org.vccp.qemu.hypervisor;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.vccp.checkpoint.protocol.Hypervisor;
import org.vccp.qemu.guest.SerialConsole;
import org.vccp.qemu.qmp.MigrationStatus;
import org.vccp.qemu.qmp.MigrationUri;
import org.vccp.qemu.qmp.QmpClient;

/**
 * The checkpoint protocol over QMP, for any process that speaks it: QEMU ({@link QemuHypervisor})
 * and {@code vccp sim-guest} ({@link SimHypervisor}) go through exactly this code. Stop and cont
 * are the QMP commands; save is {@code migrate} to {@code exec:cat > FILE} until {@code
 * query-migrate} says completed; load is {@code migrate-incoming} from {@code exec:cat FILE} into a
 * guest started with {@code -incoming defer}, after which it must be paused. Subclasses own the
 * process; both report on a serial {@link #console()}.
 */
public abstract class QmpHypervisor implements Hypervisor {
  /** How long a failed QMP step waits for the process to be reaped, to tell a death apart. */
  private static final Duration PROCESS_EXIT_GRACE = Duration.ofMillis(200);

  private final String name;
  private final String port;

  protected QmpHypervisor(String name, String port) {
    this.name = name;
    this.port = port;
  }

  /** The connected QMP client of the guest's process. */
  public abstract QmpClient qmp();

  /** The guest's serial output: lines and VCCP reports. */
  public abstract SerialConsole console();

  /** The guest process's PID. */
  public abstract long pid();

  /** {@link System#nanoTime()} just before the process was launched. */
  public abstract long startedNanos();

  /** Whether the guest's process is alive (its QMP connection aside). */
  protected abstract boolean processAlive();

  /** What the process is, for messages: {@code QEMU}, {@code sim-guest}. */
  protected abstract String processName();

  /** Waits up to {@code timeout} for the process to end; its exit status, or -1 if it runs. */
  protected abstract int awaitExit(Duration timeout);

  /**
   * Runs a QMP step; if it fails because the process died (killed, crashed), says so instead of
   * what the broken connection looked like to the client.
   */
  private <T> T qmpStep(String what, java.util.function.Supplier<T> step) {
    try {
      return step.get();
    } catch (RuntimeException e) {
      int status = awaitExit(PROCESS_EXIT_GRACE);
      if (status < 0) {
        throw e;
      }
      throw new IllegalStateException(
          "the guest's "
              + processName()
              + " process is gone ("
              + (status > 128 ? "killed by signal " + (status - 128) : "exited with code " + status)
              + ") during "
              + what,
          e);
    }
  }

  @Override
  public final String name() {
    return name;
  }

  @Override
  public final String port() {
    return port;
  }

  @Override
  public void stop(Duration timeout) {
    qmpStep("QMP stop", () -> qmp().call("stop", null, timeout));
  }

  @Override
  public void cont(Duration timeout) {
    qmpStep("QMP cont", () -> qmp().call("cont", null, timeout));
  }

  /** QMP {@code query-status}: {@code running}, {@code paused}, {@code inmigrate}, ... */
  public String status(Duration timeout) {
    return qmp().call("query-status", null, timeout).path("status").asText();
  }

  @Override
  public void save(Path file, Duration timeout) {
    MigrationStatus s =
        qmpStep("the save to " + file, () -> qmp().saveState(MigrationUri.toFile(file), timeout));
    if (s.hasFailed()) {
      throw new IllegalStateException("migration to " + file + " failed: " + s.errorDesc());
    }
  }

  @Override
  public void load(Path file, Duration timeout) {
    if (!Files.isReadable(file)) {
      throw new IllegalStateException(
          "guest " + name + ": saved state " + file + " is not readable");
    }
    String status =
        qmpStep("the load of " + file, () -> qmp().loadState(MigrationUri.fromFile(file), timeout));
    if (!"paused".equals(status) && !"postmigrate".equals(status) && !"prelaunch".equals(status)) {
      throw new IllegalStateException("after loading " + file + " the guest is " + status);
    }
  }

  @Override
  public boolean isAlive() {
    QmpClient q = qmp();
    return processAlive() && q != null && q.isConnected();
  }

  @Override
  public String toString() {
    return getClass().getSimpleName() + "[" + name + " pid=" + pid() + "]";
  }
}
