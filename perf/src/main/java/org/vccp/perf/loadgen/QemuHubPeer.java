package org.vccp.perf.loadgen;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * QEMU's built-in hub as the reference peer: one {@code qemu-system-x86_64 -machine none} process,
 * no guest, with a {@code -netdev stream} server per port joined by {@code -netdev hubport} on hub
 * 0. The hub floods every frame to every other port, so it is the baseline a learning switch should
 * beat on fan-in and match on 1→1.
 *
 * <p>Checked on QEMU 7.2: {@code -netdev stream,id=p0,server=on,addr.type=unix,addr.path=P -netdev
 * hubport,id=h0,hubid=0,netdev=p0} creates the socket at start and prints only "hub 0 with no
 * nics". The main loop (one thread) does all the forwarding.
 */
public final class QemuHubPeer extends ProcessPeer {
  public static final String DEFAULT_BINARY = "qemu-system-x86_64";
  private static final long STARTUP_TIMEOUT_MS = 15_000;

  private final String binary;

  public QemuHubPeer() {
    this(DEFAULT_BINARY);
  }

  public QemuHubPeer(String binary) {
    super("qemu-hub", "qemu-hub.log", STARTUP_TIMEOUT_MS);
    this.binary = binary;
  }

  @Override
  public String name() {
    return "qemu-hub";
  }

  @Override
  List<String> command(List<Path> portSockets) {
    List<String> command = new ArrayList<>();
    command.add(binary);
    command.addAll(List.of("-machine", "none", "-nodefaults", "-display", "none"));
    for (int i = 0; i < portSockets.size(); i++) {
      command.add("-netdev");
      command.add(
          "stream,id=p"
              + i
              + ",server=on,addr.type=unix,addr.path="
              + portSockets.get(i).toAbsolutePath());
      command.add("-netdev");
      command.add("hubport,id=h" + i + ",hubid=0,netdev=p" + i);
    }
    return command;
  }

  /** True if {@code binary} can be run here (used to skip QEMU runs where it is absent). */
  public static boolean available(String binary) {
    try {
      Process p =
          new ProcessBuilder(binary, "--version")
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      return p.waitFor() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
