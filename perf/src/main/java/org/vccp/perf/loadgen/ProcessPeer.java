package org.vccp.perf.loadgen;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A peer that is one child process: subclasses give its command line (and environment); this starts
 * it with its output in a log beside the sockets, waits for the sockets, reports its memory and
 * stops it by PID.
 */
abstract class ProcessPeer implements PeerUnderTest {
  private final String processName;
  private final String logFileName;
  private final long startupTimeoutMs;
  private PeerProcess process;

  ProcessPeer(String processName, String logFileName, long startupTimeoutMs) {
    this.processName = processName;
    this.logFileName = logFileName;
    this.startupTimeoutMs = startupTimeoutMs;
  }

  /** The full command line for these sockets. */
  abstract List<String> command(List<Path> portSockets);

  /** Variables added to our environment for the child; none by default. */
  Map<String, String> environment(List<Path> portSockets) {
    return Map.of();
  }

  /** Fails with a message saying what to do when the peer cannot be run at all. */
  void checkRunnable() throws IOException {}

  @Override
  public final void start(List<Path> portSockets) throws IOException, InterruptedException {
    if (process != null) {
      throw new IllegalStateException(processName + " is already started");
    }
    checkRunnable();
    Path log = portSockets.get(0).resolveSibling(logFileName);
    process = PeerProcess.start(processName, command(portSockets), environment(portSockets), log);
    try {
      process.awaitSockets(portSockets, startupTimeoutMs);
    } catch (IOException | InterruptedException e) {
      close();
      throw e;
    }
  }

  @Override
  public final long residentKib() {
    return process == null ? -1 : process.residentKib();
  }

  @Override
  public final long pid() {
    return process == null ? -1 : process.pid();
  }

  /** Removes what the peer left outside the run's directory; called after it stopped. */
  void afterStop() {}

  @Override
  public final void close() {
    try {
      if (process != null) {
        process.close();
      }
    } finally {
      afterStop();
    }
  }
}
