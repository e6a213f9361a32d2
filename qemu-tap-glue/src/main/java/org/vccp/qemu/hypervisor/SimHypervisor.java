package org.vccp.qemu.hypervisor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.vccp.qemu.guest.QemuGuestException;
import org.vccp.qemu.guest.SerialConsole;
import org.vccp.qemu.qmp.QmpClient;
import org.vccp.qemu.qmp.QmpException;
import org.vccp.qemu.sim.SimGuestOptions;
import org.vccp.qemu.sim.SimGuestProcess;

/**
 * A {@code vccp sim-guest} process as the checkpoint protocol sees it: started as its own process
 * ({@link SimGuestProcess}) from {@link SimGuestOptions}, driven through {@link QmpHypervisor} —
 * the same QMP code as QEMU — and read through the same {@link SerialConsole}. The manifest stores
 * its spec as {@code {"kind": "sim-guest", "args": [...]}}, the sim-guest's own command line
 * without {@code --incoming}; {@link SimLauncher} starts it again from that with {@code --incoming
 * defer}. Its process output goes to {@code <name>.sim.log} beside the serial file.
 */
public final class SimHypervisor extends QmpHypervisor {
  /** The {@code kind} of a sim-guest spec in a manifest. */
  public static final String KIND = "sim-guest";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration QMP_TIMEOUT = Duration.ofSeconds(60);

  private final SimGuestOptions options;
  private final SimGuestProcess process;
  private final long startedNanos;
  private final SerialConsole console;
  private final QmpClient qmp;

  private SimHypervisor(
      SimGuestOptions options, String port, SimGuestProcess process, long startedNanos) {
    super(options.name(), port);
    this.options = options;
    this.process = process;
    this.startedNanos = startedNanos;
    this.console =
        new SerialConsole(
            options.serialFile(),
            "guest " + options.name(),
            () -> "sim-guest " + process.exitDescription(),
            this::diagnostics);
    QmpClient client;
    try {
      client =
          QmpClient.connectWithRetry(
              options.qmpSocket(), "guest " + options.name(), QMP_TIMEOUT, process::isAlive);
    } catch (QmpException e) {
      process.close();
      console.close();
      throw new QemuGuestException(
          "guest " + options.name() + ": QMP did not answer: " + e.getMessage() + diagnostics(), e);
    }
    this.qmp = client;
    process.onExit().thenRun(this::finish);
  }

  /**
   * Starts a sim-guest process for {@code options} on switch port {@code port} and returns once its
   * QMP monitor answers (its NIC is connected or listening by then). Removes an old serial file
   * first, as {@link org.vccp.qemu.guest.QemuGuest} does.
   */
  public static SimHypervisor start(SimGuestOptions options, String port) {
    Path log = logOf(options);
    try {
      Files.createDirectories(options.serialFile().toAbsolutePath().getParent());
      Files.createDirectories(options.qmpSocket().getParent());
      Files.deleteIfExists(options.serialFile());
    } catch (IOException e) {
      throw new QemuGuestException(
          "guest " + options.name() + ": cannot prepare " + options.serialFile() + ": " + e, e);
    }
    long startedNanos = System.nanoTime();
    SimGuestProcess process;
    try {
      process = SimGuestProcess.start(options, log);
    } catch (IOException e) {
      throw new QemuGuestException("guest " + options.name() + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new QemuGuestException("guest " + options.name() + ": interrupted while starting", e);
    }
    return new SimHypervisor(options, port, process, startedNanos);
  }

  private static Path logOf(SimGuestOptions options) {
    return options.serialFile().toAbsolutePath().resolveSibling(options.name() + ".sim.log");
  }

  /** The options this guest was started with. */
  public SimGuestOptions options() {
    return options;
  }

  /** The sim-guest process. */
  public SimGuestProcess process() {
    return process;
  }

  @Override
  public QmpClient qmp() {
    return qmp;
  }

  @Override
  public SerialConsole console() {
    return console;
  }

  @Override
  public long pid() {
    return process.pid();
  }

  @Override
  public long startedNanos() {
    return startedNanos;
  }

  @Override
  protected boolean processAlive() {
    return process.isAlive();
  }

  @Override
  protected String processName() {
    return "sim-guest";
  }

  @Override
  protected int awaitExit(Duration timeout) {
    try {
      return process.awaitExit(timeout);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return process.isAlive() ? -1 : 0;
    }
  }

  @Override
  public JsonNode spec() {
    return specOf(options);
  }

  /** The manifest spec of a sim-guest: its fresh-start command line. */
  public static JsonNode specOf(SimGuestOptions options) {
    ObjectNode spec = JSON.createObjectNode().put("kind", KIND);
    ArrayNode args = spec.putArray("args");
    options.withIncomingDefer(false).toArgs().forEach(args::add);
    return spec;
  }

  /** Whether a manifest spec describes a sim-guest (rather than a QEMU {@code GuestSpec}). */
  public static boolean isSimSpec(JsonNode spec) {
    return KIND.equals(spec.path("kind").asText());
  }

  /** The options stored by {@link #specOf}, read back. */
  public static SimGuestOptions optionsOf(JsonNode spec) {
    if (!isSimSpec(spec) || !spec.path("args").isArray()) {
      throw new IllegalArgumentException("not a sim-guest spec: " + spec);
    }
    List<String> args = new ArrayList<>();
    spec.path("args").forEach(a -> args.add(a.asText()));
    return SimGuestOptions.parse(args);
  }

  @Override
  public void kill() {
    try {
      process.kill();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      finish();
    }
  }

  @Override
  public void close() {
    process.close();
    finish();
  }

  private void finish() {
    console.close();
    QmpClient client = qmp;
    if (client != null) {
      client.close();
    }
  }

  private String diagnostics() {
    List<String> lines = console == null ? List.of() : console.texts();
    String serialTail =
        String.join(" | ", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
    return "; last serial lines: ["
        + serialTail
        + "]; sim-guest said: ["
        + process.logTail()
        + "]; serial "
        + options.serialFile()
        + ", log "
        + logOf(options);
  }
}
