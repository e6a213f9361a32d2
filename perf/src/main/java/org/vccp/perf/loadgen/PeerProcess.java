package org.vccp.perf.loadgen;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A peer running as a child process: started with its output in a log file, waited on until its
 * sockets exist, measured through {@code /proc/PID/status}, and stopped by its own PID only
 * (SIGTERM, then SIGKILL after a grace period).
 */
final class PeerProcess implements AutoCloseable {
  private static final long STOP_GRACE_MS = 5_000;
  private static final int LOG_TAIL_BYTES = 2_000;

  private final String name;
  private final Process process;
  private final Path logFile;

  private PeerProcess(String name, Process process, Path logFile) {
    this.name = name;
    this.process = process;
    this.logFile = logFile;
  }

  /**
   * Starts {@code command} with {@code environment} added to ours and stdout and stderr appended to
   * {@code logFile}.
   */
  static PeerProcess start(
      String name, List<String> command, Map<String, String> environment, Path logFile)
      throws IOException {
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
            .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
    builder.environment().putAll(environment);
    try {
      return new PeerProcess(name, builder.start(), logFile);
    } catch (IOException e) {
      throw new IOException(
          name + ": cannot start " + command.get(0) + " (" + e.getMessage() + "); is it installed?",
          e);
    }
  }

  /** Waits until every socket file exists; fails early, with the log tail, if the process exits. */
  void awaitSockets(List<Path> sockets, long timeoutMs) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    while (true) {
      Path missing = null;
      for (Path socket : sockets) {
        if (!Files.exists(socket)) {
          missing = socket;
          break;
        }
      }
      if (missing == null) {
        return;
      }
      if (!process.isAlive()) {
        throw new IOException(
            name
                + " exited with status "
                + process.exitValue()
                + " before listening on "
                + missing
                + "; its output ends with:\n"
                + logTail());
      }
      if (System.nanoTime() - deadline > 0) {
        throw new IOException(
            name
                + " did not create "
                + missing
                + " within "
                + timeoutMs
                + " ms; its output ends with:\n"
                + logTail());
      }
      process.waitFor(10, TimeUnit.MILLISECONDS);
    }
  }

  long pid() {
    return process.pid();
  }

  boolean alive() {
    return process.isAlive();
  }

  /** VmRSS from {@code /proc/PID/status} in KiB, or -1 if the process is gone. */
  long residentKib() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid()), "status"))) {
        if (line.startsWith("VmRSS:")) {
          String value = line.substring("VmRSS:".length()).trim();
          int space = value.indexOf(' ');
          return Long.parseLong(space < 0 ? value : value.substring(0, space));
        }
      }
      return -1;
    } catch (IOException | NumberFormatException e) {
      return -1;
    }
  }

  /** The last part of the process's output, for error messages. */
  String logTail() {
    try {
      byte[] bytes = Files.readAllBytes(logFile);
      int from = Math.max(0, bytes.length - LOG_TAIL_BYTES);
      String tail = new String(bytes, from, bytes.length - from, StandardCharsets.UTF_8);
      return tail.isBlank() ? "(no output)" : tail;
    } catch (IOException e) {
      return "(cannot read " + logFile + ": " + e.getMessage() + ")";
    }
  }

  @Override
  public void close() {
    if (!process.isAlive()) {
      return;
    }
    process.destroy();
    try {
      if (!process.waitFor(STOP_GRACE_MS, TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        process.waitFor(STOP_GRACE_MS, TimeUnit.MILLISECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
