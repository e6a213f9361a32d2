package org.vccp.qemu.guest;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.vccp.qemu.image.GuestEvent;
import org.vccp.qemu.qmp.MigrationStatus;
import org.vccp.qemu.qmp.MigrationUri;
import org.vccp.qemu.qmp.QmpClient;
import org.vccp.qemu.qmp.QmpException;

/**
 * One running QEMU process started from a {@link GuestSpec}. Its serial log is followed by a {@link
 * SerialConsole} (tailed every 10 ms, so every {@link SerialLine} carries the time it appeared);
 * callers wait for lines or VCCP events with a deadline. QEMU's own stdout and stderr go to {@code
 * <name>.qemu.log} beside the serial log, after a first line holding the command.
 *
 * <p>QEMU always serves QMP on {@link GuestSpec#qmpSocket()}; {@link #start} returns once {@link
 * #qmp()} is connected, and {@link #saveTo}/{@link #loadFrom} save and restore the guest through
 * it.
 *
 * <p>{@link #stop} and {@link #kill} signal only the PID this object started. Guests still running
 * when the JVM exits are killed by a shutdown hook, so a crashed test leaves no QEMU behind.
 */
public final class QemuGuest implements AutoCloseable {

  private static final long LISTEN_POLL_NS = TimeUnit.MILLISECONDS.toNanos(5);
  private static final Duration DEFAULT_STOP_GRACE = Duration.ofSeconds(5);

  /** How long {@link #start} waits for QMP; generous, since a loaded host launches slowly. */
  public static final int QMP_TIMEOUT_S = 60;

  private static final Pattern SAFE_SHELL_WORD = Pattern.compile("[A-Za-z0-9_./:=,@%+-]+");

  private static final Set<QemuGuest> RUNNING = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(() -> RUNNING.forEach(guest -> guest.process.destroyForcibly())));
  }

  private final GuestSpec spec;
  private final List<String> commandLine;
  private final boolean incoming;
  private final Path qemuLog;
  private final Process process;
  private final long startedNanos;
  private final SerialConsole serial;
  private final Map<String, ListenerProbe> listenerProbes;
  private volatile QmpClient qmp;

  private QemuGuest(
      GuestSpec spec,
      List<String> commandLine,
      boolean incoming,
      Path qemuLog,
      Process process,
      long startedNanos,
      Map<String, ListenerProbe> listenerProbes) {
    this.spec = spec;
    this.commandLine = commandLine;
    this.incoming = incoming;
    this.qemuLog = qemuLog;
    this.process = process;
    this.startedNanos = startedNanos;
    this.listenerProbes = listenerProbes;
    this.serial =
        new SerialConsole(
            spec.serialLogPath(),
            "guest " + spec.name(),
            () -> "QEMU " + exitDescription(),
            this::diagnostics);
  }

  /**
   * Launches QEMU for {@code spec} and returns once its QMP monitor has answered (the guest keeps
   * booting in the background; wait for {@link GuestEvent#READY} with {@link #awaitEvent}). Creates
   * the serial log's directory and removes an old serial log and QMP socket there.
   *
   * @throws QemuGuestException if QEMU cannot be launched, or exits or stays silent on QMP for
   *     {@value #QMP_TIMEOUT_S} s
   */
  public static QemuGuest start(GuestSpec spec) {
    return launch(spec, false);
  }

  /**
   * Launches QEMU for {@code spec} in restore mode ({@link QemuCommandLine#buildIncoming}: the same
   * command line plus {@code -S -incoming defer}) and returns once QMP answers; then {@link
   * #loadFrom} (or {@code qmp().loadState}) brings in a saved state, and {@code qmp().cont()} runs
   * it.
   */
  public static QemuGuest startIncoming(GuestSpec spec) {
    return launch(spec, true);
  }

  private static QemuGuest launch(GuestSpec spec, boolean incoming) {
    List<String> commandLine =
        incoming ? QemuCommandLine.buildIncoming(spec) : QemuCommandLine.build(spec);
    Path serialLog = spec.serialLogPath();
    Path qemuLog = serialLog.resolveSibling(spec.name() + ".qemu.log");
    try {
      Files.createDirectories(serialLog.getParent());
      Files.createDirectories(spec.qmpSocketPath().getParent());
      Files.deleteIfExists(serialLog);
      Files.deleteIfExists(spec.qmpSocketPath()); // never talk to a stale or foreign monitor
      Files.writeString(qemuLog, "# " + shellQuote(commandLine) + "\n", StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new QemuGuestException(
          "guest " + spec.name() + ": cannot prepare " + serialLog.getParent() + ": " + e, e);
    }
    Map<String, ListenerProbe> probes = new HashMap<>();
    for (NicSpec nic : spec.nics()) {
      if (nic.attachment() instanceof StreamSocket socket && socket.server()) {
        probes.put(nic.id(), ListenerProbe.before(socket));
      }
    }
    long startedNanos = System.nanoTime();
    Process process;
    try {
      process =
          new ProcessBuilder(commandLine)
              .redirectInput(new File("/dev/null"))
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(qemuLog.toFile()))
              .start();
    } catch (IOException e) {
      throw new QemuGuestException(
          "guest "
              + spec.name()
              + ": "
              + QemuCommandLine.QEMU_BINARY
              + " cannot be started ("
              + e.getMessage()
              + "); install qemu-system-x86",
          e);
    }
    QemuGuest guest =
        new QemuGuest(spec, commandLine, incoming, qemuLog, process, startedNanos, probes);
    RUNNING.add(guest);
    process.onExit().thenRun(guest::finish);
    guest.connectQmp();
    return guest;
  }

  private void connectQmp() {
    try {
      qmp =
          QmpClient.connectWithRetry(
              spec.qmpSocketPath(),
              "guest " + name(),
              Duration.ofSeconds(QMP_TIMEOUT_S),
              process::isAlive);
    } catch (QmpException e) {
      String why =
          process.isAlive()
              ? "QMP did not answer on " + spec.qmpSocketPath() + ": " + e.getMessage()
              : "QEMU " + exitDescription() + " before QMP answered";
      kill();
      throw new QemuGuestException("guest " + name() + ": " + why + diagnostics(), e);
    }
  }

  public GuestSpec spec() {
    return spec;
  }

  public String name() {
    return spec.name();
  }

  /** The exact argument list QEMU was started with. */
  public List<String> commandLine() {
    return commandLine;
  }

  /** True when this QEMU was started with {@code -incoming defer} ({@link #startIncoming}). */
  public boolean isIncoming() {
    return incoming;
  }

  /** The connected QMP client of this QEMU. */
  public QmpClient qmp() {
    return qmp;
  }

  /**
   * Saves the guest's state to {@code file} through QMP ({@code migrate "exec:cat > FILE"} with the
   * bandwidth cap lifted) and returns once QEMU reports the stream complete, so the file is whole.
   * Stop the guest first ({@code qmp().stop()}) unless {@code background-snapshot} is on; it stays
   * stopped ({@code postmigrate}) until {@code qmp().cont()}.
   *
   * @throws org.vccp.qemu.qmp.QmpException if QEMU refuses, the migration fails or times out
   */
  public MigrationStatus saveTo(Path file, Duration timeout) {
    return qmp.saveState(MigrationUri.toFile(file), timeout);
  }

  /**
   * Loads a state saved by {@link #saveTo} into this restore-mode QEMU ({@link #startIncoming}) and
   * returns its run state afterwards, {@code paused} when it worked; {@code qmp().cont()} runs it.
   */
  public String loadFrom(Path file, Duration timeout) {
    if (!incoming) {
      throw new IllegalStateException(
          "guest " + name() + " was not started with -incoming defer; use startIncoming");
    }
    if (!Files.isReadable(file)) {
      throw new QemuGuestException(
          "guest " + name() + ": saved state " + file + " is not readable");
    }
    return qmp.loadState(MigrationUri.fromFile(file), timeout);
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /**
   * Waits up to {@code timeout} for QEMU to end; its exit status (128 + N when signal N killed it),
   * or -1 if it still runs.
   */
  public int awaitExit(Duration timeout) {
    try {
      return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS) ? process.exitValue() : -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return process.isAlive() ? -1 : process.exitValue();
    }
  }

  /** {@link System#nanoTime()} just before QEMU was launched. */
  public long startedNanos() {
    return startedNanos;
  }

  /** Time from launch until the tailer saw {@code line}. */
  public Duration sinceStart(SerialLine line) {
    return Duration.ofNanos(line.seenNanos() - startedNanos);
  }

  public Path serialLog() {
    return spec.serialLogPath();
  }

  /** QEMU's stdout and stderr. */
  public Path qemuLog() {
    return qemuLog;
  }

  /** The serial output as lines and VCCP reports (shared with simulated guests). */
  public SerialConsole console() {
    return serial;
  }

  /** Every cleaned serial line so far. */
  public List<String> serialLines() {
    return serial.texts();
  }

  /** Every VCCP event so far, in order. */
  public List<GuestEvent> events() {
    return serial.events();
  }

  /**
   * The first serial line (from the start of the log) for which {@code matcher} is true, waiting up
   * to {@code timeout}.
   *
   * @throws QemuGuestException if QEMU exits or the timeout passes first
   */
  public SerialLine awaitSerialLine(Predicate<String> matcher, Duration timeout) {
    return serial.awaitLine(matcher, 0, timeout);
  }

  /** Like {@link #awaitSerialLine(Predicate, Duration)} but only lines at {@code fromIndex} on. */
  public SerialLine awaitSerialLine(Predicate<String> matcher, int fromIndex, Duration timeout) {
    return serial.awaitLine(matcher, fromIndex, timeout);
  }

  /** The first serial line in which {@code pattern} is found. */
  public SerialLine awaitSerialLine(Pattern pattern, Duration timeout) {
    return serial.awaitLine(pattern, timeout);
  }

  /** The first {@code VCCP <event>} report, e.g. {@code awaitEvent(GuestEvent.READY, ...)}. */
  public GuestEvent awaitEvent(String event, Duration timeout) {
    return serial.awaitEvent(event, timeout);
  }

  /** The first VCCP report for which {@code matcher} is true. */
  public GuestEvent awaitEvent(Predicate<GuestEvent> matcher, Duration timeout) {
    return serial.awaitEvent(matcher, timeout);
  }

  /**
   * Waits until QEMU listens on the server socket of NIC {@code nicId}, so a peer started with
   * {@code server=off} can connect (a QEMU 7.2 client that finds nobody never retries). Reads
   * /proc/net/unix or /proc/net/tcp{,6}; never connects, which would use up the one client slot.
   */
  public void awaitListening(String nicId, Duration timeout) {
    NicAttachment attachment = spec.nic(nicId).attachment();
    if (!(attachment instanceof StreamSocket socket) || !socket.server()) {
      throw new IllegalArgumentException(
          "guest "
              + name()
              + ": NIC "
              + nicId
              + " is "
              + attachment
              + "; only a stream socket QEMU serves (server=on) listens");
    }
    ListenerProbe probe = listenerProbes.get(nicId);
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!probe.listening()) {
      if (!process.isAlive()) {
        throw new QemuGuestException(
            "guest "
                + name()
                + ": QEMU "
                + exitDescription()
                + " before listening on "
                + socket
                + diagnostics());
      }
      if (System.nanoTime() - deadline > 0) {
        throw new QemuGuestException(
            "guest "
                + name()
                + ": not listening on "
                + socket
                + " within "
                + seconds(timeout)
                + diagnostics());
      }
      LockSupport.parkNanos(LISTEN_POLL_NS);
    }
  }

  /** Sends SIGTERM, waits up to {@code grace}, then SIGKILL; returns QEMU's exit code. */
  public int stop(Duration grace) {
    try {
      if (process.isAlive()) {
        process.destroy();
        if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
          process.destroyForcibly();
          process.waitFor();
        }
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    } finally {
      finish();
    }
    return process.isAlive() ? -1 : process.exitValue();
  }

  /** {@link #stop(Duration)} with 5 s of grace. */
  public int stop() {
    return stop(DEFAULT_STOP_GRACE);
  }

  /** SIGKILL at once, then waits for the process to go. */
  public void kill() {
    process.destroyForcibly();
    try {
      process.waitFor();
      // let the QMP client see the connection drop by itself, so that pending commands fail with
      // "connection lost" (what happened) rather than "closed by this client"
      QmpClient client = qmp;
      if (client != null) {
        client.closeFuture().get(1, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      // closed some other way, or not noticed within a second: finish() closes it
    } finally {
      finish();
    }
  }

  @Override
  public void close() {
    stop();
  }

  @Override
  public String toString() {
    return "QemuGuest[" + name() + " pid=" + pid() + (isAlive() ? "" : " exited") + "]";
  }

  private void finish() {
    serial.close();
    RUNNING.remove(this);
    QmpClient client = qmp;
    if (client != null) {
      client.close();
    }
  }

  private static List<String> readLines(Path file) {
    try {
      return Files.readAllLines(file, StandardCharsets.ISO_8859_1);
    } catch (IOException e) {
      return List.of();
    }
  }

  private String exitDescription() {
    return process.isAlive() ? "was stopped" : "exited with code " + process.exitValue();
  }

  private String diagnostics() {
    List<String> lines = serialLines();
    String serialTail =
        String.join(" | ", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
    List<String> qemu = readLines(qemuLog);
    String qemuTail =
        String.join(" | ", qemu.subList(Math.max(1, qemu.size() - 5), Math.max(1, qemu.size())));
    return "; last serial lines: ["
        + serialTail
        + "]; QEMU said: ["
        + qemuTail
        + "]; serial log "
        + serialLog()
        + ", QEMU log "
        + qemuLog;
  }

  private static String seconds(Duration duration) {
    return String.format(Locale.ROOT, "%.1f s", duration.toMillis() / 1000.0);
  }

  /** The command as one shell line, for logs and for pasting into a terminal. */
  static String shellQuote(List<String> args) {
    return args.stream()
        .map(
            arg ->
                SAFE_SHELL_WORD.matcher(arg).matches()
                    ? arg
                    : "'" + arg.replace("'", "'\\''") + "'")
        .collect(Collectors.joining(" "));
  }
}
