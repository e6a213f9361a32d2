package org.vccp.qemu.sim;

import java.util.Arrays;
import java.util.stream.Collectors;

/** The workloads a simulated guest can run, by their {@code --workload} names. */
public enum SimWorkloadKind {
  /** Numbered udp-seq datagrams to the peer at {@code --rate} per second, after a handshake. */
  UDP_SEQ_SEND("udp-seq-send"),
  /** Counts udp-seq datagrams: received, gaps, duplicates, reorders; echoes the hello. */
  UDP_SEQ_RECV("udp-seq-recv"),
  /** Sends every datagram to its {@code --port} back to where it came from. */
  ECHO("echo"),
  /** Only answers ARP. */
  IDLE("idle");

  private final String cliName;

  SimWorkloadKind(String cliName) {
    this.cliName = cliName;
  }

  public String cliName() {
    return cliName;
  }

  public static SimWorkloadKind fromCliName(String name) {
    for (SimWorkloadKind kind : values()) {
      if (kind.cliName.equals(name)) {
        return kind;
      }
    }
    throw new IllegalArgumentException(
        "unknown workload '"
            + name
            + "'; known: "
            + Arrays.stream(values())
                .map(SimWorkloadKind::cliName)
                .collect(Collectors.joining(", ")));
  }

  @Override
  public String toString() {
    return cliName;
  }
}
