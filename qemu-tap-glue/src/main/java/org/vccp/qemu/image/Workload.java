package org.vccp.qemu.image;

import java.util.Arrays;
import java.util.stream.Collectors;

/** What a guest's /init runs after READY, selected by {@code vccp.workload=a,b,...}. */
public enum Workload {
  /** Nothing; the guest just answers pings (any guest with an address does). */
  IDLE("idle"),
  /** Wait for the peer, then ping it {@code vccp.count} times: PEER-UP, PING..., DONE. */
  PING("ping"),
  /** Write {@code vccp.size_mb} MB of random data and serve it with httpd: HTTP-SERVE. */
  HTTP_SERVE("http-serve"),
  /** Download the peer's file {@code vccp.count} times, retrying until it answers: FETCH, DONE. */
  HTTP_FETCH_MD5("http-fetch-md5"),
  /** Print COUNTER n=1, 2, ... every 100 ms, forever; only useful last in the list. */
  COUNTER("counter"),
  /**
   * Send numbered UDP datagrams 1..{@code vccp.count} to the peer's {@code vccp.port} at {@code
   * vccp.rate} per second, after a handshake with its receiver: UDPSEQ lines, then DONE.
   */
  UDP_SEQ_SEND("udp-seq-send"),
  /**
   * Receive and check numbered datagrams on {@code vccp.port}, in the background (returns once
   * bound): UDPSEQ lines every second with gaps, duplicates and reorders, then DONE.
   */
  UDP_SEQ_RECV("udp-seq-recv"),
  /**
   * CPU-bound: MD5 of 1 MiB of zeros, {@code vccp.count} times, reporting CPU start= and then DONE;
   * the host times it between the two lines (the guest's clock stops while it is paused).
   */
  CPU("cpu");

  private final String paramName;

  Workload(String paramName) {
    this.paramName = paramName;
  }

  /** The name on the kernel command line. */
  public String paramName() {
    return paramName;
  }

  /** The workload called {@code name} on the kernel command line. */
  public static Workload fromParamName(String name) {
    for (Workload workload : values()) {
      if (workload.paramName.equals(name)) {
        return workload;
      }
    }
    throw new IllegalArgumentException(
        "unknown workload '"
            + name
            + "'; known: "
            + Arrays.stream(values()).map(Workload::paramName).collect(Collectors.joining(", ")));
  }
}
