package org.vccp.qemu.sim;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.vccp.qemu.image.GuestEvent;

/**
 * One sim-guest as a child JVM ({@link SimGuestMain} on this JVM's class path), with its output in
 * a log file: what tests and the demo use where they would start a QEMU process. {@link #start}
 * returns once the QMP socket exists, which means the netdev is already listening or connected.
 * Processes still running when this JVM exits are killed by a shutdown hook, as QEMU guests are.
 */
public final class SimGuestProcess implements AutoCloseable {
  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
  private static final long POLL_MS = 20;
  private static final Set<Process> RUNNING = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime()
        .addShutdownHook(new Thread(() -> RUNNING.forEach(Process::destroyForcibly)));
  }

  private final SimGuestOptions options;
  private final Process process;
  private final Path log;

  private SimGuestProcess(SimGuestOptions options, Process process, Path log) {
    this.options = options;
    this.process = process;
    this.log = log;
  }

  /** Starts the guest and waits for its QMP socket; fails with the log's tail if it dies first. */
  public static SimGuestProcess start(SimGuestOptions options, Path log)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(
        List.of(
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-Xss512k",
            "-Xmx64m",
            "-cp",
            System.getProperty("java.class.path"),
            SimGuestMain.class.getName()));
    command.addAll(options.toArgs());
    Files.deleteIfExists(options.qmpSocket());
    Process process =
        new ProcessBuilder(command)
            .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    RUNNING.add(process);
    process.onExit().thenRun(() -> RUNNING.remove(process));
    SimGuestProcess guest = new SimGuestProcess(options, process, log);
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (!Files.exists(options.qmpSocket())) {
      if (!process.isAlive()) {
        throw new IOException(
            "sim-guest "
                + options.name()
                + " exited with status "
                + process.exitValue()
                + " before its QMP socket appeared: "
                + guest.logTail());
      }
      if (System.nanoTime() > deadline) {
        guest.close();
        throw new IOException(
            "sim-guest " + options.name() + " did not open its QMP socket within " + START_TIMEOUT);
      }
      Thread.sleep(POLL_MS);
    }
    return guest;
  }

  public SimGuestOptions options() {
    return options;
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** Completes when the process has ended, however it ended. */
  public CompletableFuture<Void> onExit() {
    return process.onExit().thenApply(p -> null);
  }

  /** {@code exited with code N} once it ended, else {@code is running}. */
  public String exitDescription() {
    return process.isAlive() ? "is running" : "exited with code " + process.exitValue();
  }

  /** The file holding the process's own output. */
  public Path log() {
    return log;
  }

  /** The report lines written so far. */
  public List<GuestEvent> events() {
    List<GuestEvent> events = new ArrayList<>();
    try {
      for (String line : Files.readAllLines(options.serialFile(), StandardCharsets.UTF_8)) {
        GuestEvent.parse(line).ifPresent(events::add);
      }
    } catch (NoSuchFileException e) {
      return events;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return events;
  }

  /** The first report matching, waiting up to {@code timeout}; fails if the guest dies first. */
  public GuestEvent awaitEvent(Predicate<GuestEvent> matcher, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      Optional<GuestEvent> hit = events().stream().filter(matcher).findFirst();
      if (hit.isPresent()) {
        return hit.get();
      }
      if (!process.isAlive()) {
        throw new IllegalStateException(
            "sim-guest " + options.name() + " exited before the awaited report: " + logTail());
      }
      if (System.nanoTime() > deadline) {
        List<GuestEvent> all = events();
        throw new IllegalStateException(
            "sim-guest "
                + options.name()
                + " wrote no matching report within "
                + timeout
                + "; last report: "
                + (all.isEmpty() ? "none" : all.get(all.size() - 1)));
      }
      Thread.sleep(POLL_MS);
    }
  }

  /** Waits for the process to end; its exit status, or -1 if it is still running. */
  public int awaitExit(Duration timeout) throws InterruptedException {
    return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS) ? process.exitValue() : -1;
  }

  /** The last lines of the process's own output (logs, errors). */
  public String logTail() {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join(" | ", lines.subList(Math.max(0, lines.size() - 8), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  /** Kills the process at once (SIGKILL), like a crashed host would, and waits for it. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor();
  }

  /** Kills the process if it still runs; keeps this thread's interrupt status. */
  @Override
  public void close() {
    if (process.isAlive()) {
      process.destroyForcibly();
      try {
        process.waitFor();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
