package org.vccp.perf.loadgen;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Something that connects generator ports like a network would: a switch, a hub. It listens on one
 * Unix stream socket per port with QEMU's {@code -netdev stream} framing, and the generator
 * connects to each as a client.
 */
public interface PeerUnderTest extends AutoCloseable {
  /** Short name used in tables and file names, e.g. {@code vccp} or {@code qemu-hub}. */
  String name();

  /**
   * Starts the peer so that it listens on every path in {@code portSockets}, in that order, and
   * returns once every socket file exists. The paths do not exist yet; their directory does.
   */
  void start(List<Path> portSockets) throws IOException, InterruptedException;

  /** Resident memory of the peer right now in KiB, or -1 when it has no process of its own. */
  long residentKib();

  /** The peer's process id, or -1 when it has no process of its own. */
  long pid();

  /** Stops the peer and everything it started; safe to call more than once. */
  @Override
  void close();
}
