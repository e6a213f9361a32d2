package org.vccp.qemu.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A simulated QEMU guest: the machine, its stream netdev, its serial file and a QMP monitor that
 * answers the commands VCCP sends to QEMU. Start order follows QEMU's: serial, netdev (listening or
 * connected), then QMP, so a client that got the QMP greeting can rely on the NIC socket.
 *
 * <p>QMP subset: {@code qmp_capabilities}, {@code query-status}, {@code stop}, {@code cont}, {@code
 * migrate-set-parameters}, {@code migrate-set-capabilities}, {@code query-migrate-capabilities},
 * {@code migrate}, {@code migrate-incoming}, {@code query-migrate}, {@code query-name}, {@code
 * query-version}, {@code query-commands}, {@code system_powerdown}, {@code quit}. Events: STOP,
 * RESUME, SHUTDOWN, POWERDOWN, and MIGRATION when the {@code events} capability is on (as in QEMU).
 */
public final class SimGuest implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SimGuest.class);
  private static final List<String> COMMANDS =
      List.of(
          "qmp_capabilities",
          "query-status",
          "stop",
          "cont",
          "migrate-set-parameters",
          "migrate-set-capabilities",
          "query-migrate-capabilities",
          "migrate",
          "migrate-incoming",
          "query-migrate",
          "query-name",
          "query-version",
          "query-commands",
          "system_powerdown",
          "quit");

  private final SimGuestOptions options;
  private final ObjectMapper json = new ObjectMapper();
  private final SerialReport serial;
  private final SimMachine machine;
  private final StreamNetdev netdev;
  private final QmpServer qmp;
  private final CompletableFuture<Integer> exit = new CompletableFuture<>();
  private final Object migrationLock = new Object();
  private MigrationJob migration;
  private boolean incomingStarted;
  private volatile boolean eventsCapability;
  private volatile boolean backgroundSnapshot;

  private SimGuest(SimGuestOptions options) throws IOException {
    this.options = options;
    this.serial = new SerialReport(options.serialFile());
    this.machine = new SimMachine(options, serial);
    this.netdev = new StreamNetdev(options.name(), options.netdev(), machine);
    this.qmp = new QmpServer(options.qmpSocket(), json, new Commands(), options.name());
  }

  /** Starts the guest: serial, netdev, QMP, then the vCPU (running, or waiting if incoming). */
  public static SimGuest start(SimGuestOptions options) throws IOException {
    SimGuest guest = new SimGuest(options);
    try {
      guest.netdev.start();
      guest.qmp.start();
      guest.machine.start();
    } catch (IOException | RuntimeException e) {
      guest.close();
      throw e;
    }
    LOG.info(
        "{}: sim-guest up, QMP unix:{}, netdev {}, {}",
        options.name(),
        options.qmpSocket(),
        SimGuestOptions.formatNetdev(options.netdev()),
        options.incomingDefer() ? "waiting for migrate-incoming" : "running");
    return guest;
  }

  /** Blocks until the guest ends (quit, powerdown, failed incoming load); its exit status. */
  public int awaitExit() throws InterruptedException {
    try {
      return exit.get();
    } catch (ExecutionException e) {
      return 1;
    }
  }

  @Override
  public void close() {
    terminate(0);
  }

  /** Stops everything, then reports {@code status} to {@link #awaitExit}; the first call wins. */
  private void terminate(int status) {
    machine.shutdown();
    qmp.close();
    netdev.close();
    try {
      serial.close();
    } catch (IOException e) {
      LOG.debug("{}: closing the serial file: {}", options.name(), e.getMessage());
    }
    exit.complete(status);
  }

  private void emitMigration(String status) {
    if (eventsCapability) {
      qmp.emit("MIGRATION", json.createObjectNode().put("status", status));
    }
  }

  private void emitRunEvent(boolean resumed) {
    qmp.emit(resumed ? "RESUME" : "STOP", null);
  }

  private void runOutgoing(MigrationChannel channel, MigrationJob job) {
    long stopNanos = System.nanoTime();
    SimMachine.Save save;
    try {
      save = machine.saveForMigration(backgroundSnapshot);
    } catch (RuntimeException e) {
      job.failed(e.getMessage());
      emitMigration("failed");
      return;
    }
    if (save.wasRunning()) {
      emitRunEvent(false);
      if (save.resumed()) {
        emitRunEvent(true);
      }
    }
    long downtimeNanos = save.resumed() ? System.nanoTime() - stopNanos : 0;
    job.active(save.stream().length);
    emitMigration("active");
    boolean ok;
    try {
      channel.send(save.stream());
      if (!save.resumed()) {
        downtimeNanos = System.nanoTime() - stopNanos;
      }
      job.completed(save.stream().length, downtimeNanos);
      ok = true;
    } catch (IOException e) {
      job.failed(e.getMessage());
      LOG.warn("{}: migration to {} failed: {}", options.name(), channel.uri, e.getMessage());
      ok = false;
    }
    if (machine.migrationEnded(save, ok)) {
      emitRunEvent(true);
    }
    emitMigration(ok ? "completed" : "failed");
  }

  private void runIncoming(MigrationChannel channel, MigrationJob job) {
    try {
      byte[] stream = channel.receive();
      job.active(stream.length);
      emitMigration("active");
      boolean resumed = machine.loadIncoming(stream);
      job.completed(stream.length, 0);
      emitMigration("completed");
      if (resumed) {
        emitRunEvent(true);
      }
      LOG.info(
          "{}: loaded {} bytes from {}, now {}",
          options.name(),
          stream.length,
          channel.uri,
          machine.state().qmpName());
    } catch (IOException | RuntimeException e) {
      // QEMU exits when an incoming migration fails to load; so does a sim-guest.
      job.failed(e.getMessage());
      emitMigration("failed");
      System.err.println(
          "vccp sim-guest " + options.name() + ": load of migration failed: " + e.getMessage());
      terminate(1);
    }
  }

  private static Thread daemon(String name, Runnable body) {
    Thread t = new Thread(body, name);
    t.setDaemon(true);
    t.start();
    return t;
  }

  /** The QMP commands, run on the monitor's thread. */
  private final class Commands implements QmpServer.Handler {
    @Override
    public JsonNode execute(String command, JsonNode args) throws QmpServer.QmpError {
      switch (command) {
        case "query-status":
          RunState state = machine.state();
          return json.createObjectNode()
              .put("status", state.qmpName())
              .put("singlestep", false)
              .put("running", state.running());
        case "stop":
          if (machine.stop()) {
            emitRunEvent(false);
          }
          return empty();
        case "cont":
          try {
            if (machine.cont()) {
              emitRunEvent(true);
            }
          } catch (IllegalStateException e) {
            throw QmpServer.QmpError.generic(e.getMessage());
          }
          return empty();
        case "migrate-set-parameters":
          return empty();
        case "migrate-set-capabilities":
          return setCapabilities(args);
        case "query-migrate-capabilities":
          ArrayNode caps = json.createArrayNode();
          caps.addObject().put("capability", "events").put("state", eventsCapability);
          caps.addObject()
              .put("capability", "background-snapshot")
              .put("state", backgroundSnapshot);
          return caps;
        case "migrate":
          return migrate(args);
        case "migrate-incoming":
          return migrateIncoming(args);
        case "query-migrate":
          synchronized (migrationLock) {
            return migration == null ? empty() : migration.toJson(json);
          }
        case "query-name":
          return json.createObjectNode().put("name", options.name());
        case "query-version":
          ObjectNode version = json.createObjectNode();
          version.putObject("qemu").put("micro", 0).put("minor", 2).put("major", 7);
          return version.put("package", "vccp-sim-guest");
        case "query-commands":
          ArrayNode list = json.createArrayNode();
          COMMANDS.forEach(name -> list.addObject().put("name", name));
          return list;
        case "system_powerdown":
          qmp.emit("POWERDOWN", null);
          return empty();
        case "quit":
          return empty();
        default:
          throw new QmpServer.QmpError(
              "CommandNotFound", "The command " + command + " has not been found");
      }
    }

    @Override
    public void answered(String command) {
      if (command.equals("quit")) {
        shutdown(false, "host-qmp-quit");
      } else if (command.equals("system_powerdown") && machine.state().running()) {
        shutdown(true, "guest-shutdown");
      }
    }

    private void shutdown(boolean byGuest, String reason) {
      qmp.emit("SHUTDOWN", json.createObjectNode().put("guest", byGuest).put("reason", reason));
      close();
    }

    private ObjectNode empty() {
      return json.createObjectNode();
    }

    private JsonNode setCapabilities(JsonNode args) throws QmpServer.QmpError {
      JsonNode list = args.get("capabilities");
      if (list == null || !list.isArray()) {
        throw QmpServer.QmpError.generic("Parameter 'capabilities' is missing");
      }
      synchronized (migrationLock) {
        if (migration != null && !migration.finished()) {
          throw QmpServer.QmpError.generic("There's a migration process in progress");
        }
      }
      for (JsonNode cap : list) {
        String name = cap.path("capability").asText();
        boolean on = cap.path("state").asBoolean();
        if (name.equals("events")) {
          eventsCapability = on;
        } else if (name.equals("background-snapshot")) {
          backgroundSnapshot = on;
        }
      }
      return empty();
    }

    private String uri(JsonNode args) throws QmpServer.QmpError {
      JsonNode uri = args.get("uri");
      if (uri == null || !uri.isTextual()) {
        throw QmpServer.QmpError.generic("Parameter 'uri' is missing");
      }
      return uri.asText();
    }

    private JsonNode migrate(JsonNode args) throws QmpServer.QmpError {
      MigrationChannel channel = MigrationChannel.parse(uri(args));
      if (machine.state() == RunState.INMIGRATE) {
        throw QmpServer.QmpError.generic(
            "Guest is waiting for an incoming migration; it cannot migrate out");
      }
      MigrationJob job = new MigrationJob();
      synchronized (migrationLock) {
        if (migration != null && !migration.finished()) {
          throw QmpServer.QmpError.generic("There's a migration process in progress");
        }
        migration = job;
      }
      emitMigration("setup");
      daemon("migrate-" + options.name(), () -> runOutgoing(channel, job));
      return empty();
    }

    private JsonNode migrateIncoming(JsonNode args) throws QmpServer.QmpError {
      MigrationChannel channel = MigrationChannel.parse(uri(args));
      MigrationJob job = new MigrationJob();
      synchronized (migrationLock) {
        if (!options.incomingDefer()) {
          throw QmpServer.QmpError.generic("'-incoming' was not specified on the command line");
        }
        if (incomingStarted) {
          throw QmpServer.QmpError.generic("The incoming migration has already been started");
        }
        try {
          channel.open();
        } catch (IOException e) {
          throw QmpServer.QmpError.generic(
              "Failed to start incoming migration from " + channel.uri + ": " + e.getMessage());
        }
        incomingStarted = true;
        migration = job;
      }
      emitMigration("setup");
      daemon("incoming-" + options.name(), () -> runIncoming(channel, job));
      return empty();
    }
  }
}
