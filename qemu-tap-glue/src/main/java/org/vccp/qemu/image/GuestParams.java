package org.vccp.qemu.image;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The {@code vccp.*} kernel parameters the guest's /init reads: who the guest is, its address, its
 * peer and its workloads. {@link #toKernelArgs()} renders them for {@code -append}.
 *
 * <p>Workloads run one after another in list order; {@link Workload#HTTP_SERVE} returns as soon as
 * its server listens, so {@code http-serve,ping} serves while it pings.
 *
 * @param name guest name echoed in BOOT and READY ({@code vccp.name})
 * @param ip IPv4 address with prefix for eth0, e.g. {@code 10.0.0.1/24}; null for no network
 * @param peer IPv4 address that ping and http-fetch-md5 talk to; null if unused
 * @param workloads run in order ({@code vccp.workload=a,b})
 * @param sizeMb size of the file http-serve writes ({@code vccp.size_mb})
 * @param count pings or downloads to do ({@code vccp.count})
 * @param port HTTP port ({@code vccp.port})
 * @param intervalMs pause between pings ({@code vccp.interval_ms})
 * @param timeoutS how long ping waits for the peer and each download may retry, udp-seq-send waits
 *     for its receiver and udp-seq-recv waits for the next datagram ({@code vccp.timeout_s})
 * @param rate datagrams per second udp-seq-send sends ({@code vccp.rate})
 * @param flow flow id in every udp-seq datagram; sender and receiver must agree ({@code vccp.flow})
 * @param udpBytes UDP payload size of udp-seq datagrams, 28..1472 ({@code vccp.udp_bytes})
 */
public record GuestParams(
    String name,
    String ip,
    String peer,
    List<Workload> workloads,
    int sizeMb,
    int count,
    int port,
    int intervalMs,
    int timeoutS,
    int rate,
    int flow,
    int udpBytes)
    implements Serializable {

  /** The udp-seq header: magic, flow, sequence number, send time (see the module README). */
  public static final int UDP_SEQ_HEADER_BYTES = 28;

  /** The largest UDP payload that fits one 1500-byte IPv4 frame. */
  public static final int MAX_UDP_BYTES = 1472;

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,31}");
  private static final Pattern IPV4 =
      Pattern.compile(
          "((25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)");

  public GuestParams {
    Objects.requireNonNull(name, "name");
    workloads = List.copyOf(workloads);
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "guest name '" + name + "' must be 1-32 letters, digits, '.', '_' or '-'");
    }
    if (ip != null) {
      String[] parts = ip.split("/", 2);
      if (!IPV4.matcher(parts[0]).matches()
          || (parts.length == 2 && !parts[1].matches("([0-9]|[12][0-9]|3[0-2])"))) {
        throw new IllegalArgumentException(
            "guest " + name + ": vccp.ip '" + ip + "' is not an IPv4 address like 10.0.0.1/24");
      }
    }
    if (peer != null && !IPV4.matcher(peer).matches()) {
      throw new IllegalArgumentException(
          "guest " + name + ": vccp.peer '" + peer + "' is not an IPv4 address like 10.0.0.2");
    }
    if (workloads.isEmpty()) {
      throw new IllegalArgumentException("guest " + name + ": give at least one workload");
    }
    boolean needsPeer =
        workloads.contains(Workload.PING)
            || workloads.contains(Workload.HTTP_FETCH_MD5)
            || workloads.contains(Workload.UDP_SEQ_SEND);
    if (needsPeer && (peer == null || ip == null)) {
      throw new IllegalArgumentException(
          "guest " + name + ": workloads " + workloads + " need both ip and peer");
    }
    if (workloads.contains(Workload.UDP_SEQ_RECV) && ip == null) {
      throw new IllegalArgumentException("guest " + name + ": udp-seq-recv needs an ip");
    }
    requireRange(name, "size_mb", sizeMb, 1, 4096);
    requireRange(name, "count", count, 1, 1_000_000);
    requireRange(name, "port", port, 1, 65535);
    requireRange(name, "interval_ms", intervalMs, 0, 3_600_000);
    requireRange(name, "timeout_s", timeoutS, 1, 86_400);
    requireRange(name, "rate", rate, 1, 100_000);
    requireRange(name, "flow", flow, 0, Integer.MAX_VALUE);
    requireRange(name, "udp_bytes", udpBytes, UDP_SEQ_HEADER_BYTES, MAX_UDP_BYTES);
  }

  /** True when a udp-seq workload runs, so the udp-seq parameters are written. */
  public boolean usesUdpSeq() {
    return workloads.contains(Workload.UDP_SEQ_SEND) || workloads.contains(Workload.UDP_SEQ_RECV);
  }

  /** Parameters for {@code name} with the defaults /init uses: idle, 8 MB, 3 times, port 80. */
  public static Builder builder(String name) {
    return new Builder(name);
  }

  /**
   * {@code vccp.name=g1 vccp.ip=... vccp.workload=...}, every parameter, in a fixed order; the
   * udp-seq ones ({@code vccp.rate}, {@code vccp.flow}, {@code vccp.udp_bytes}) only when a udp-seq
   * workload runs.
   */
  public String toKernelArgs() {
    List<String> args = new ArrayList<>();
    args.add("vccp.name=" + name);
    if (ip != null) {
      args.add("vccp.ip=" + ip);
    }
    if (peer != null) {
      args.add("vccp.peer=" + peer);
    }
    args.add(
        "vccp.workload="
            + workloads.stream().map(Workload::paramName).collect(Collectors.joining(",")));
    args.add("vccp.size_mb=" + sizeMb);
    args.add("vccp.count=" + count);
    args.add("vccp.port=" + port);
    args.add("vccp.interval_ms=" + intervalMs);
    args.add("vccp.timeout_s=" + timeoutS);
    if (usesUdpSeq()) {
      args.add("vccp.rate=" + rate);
      args.add("vccp.flow=" + flow);
      args.add("vccp.udp_bytes=" + udpBytes);
    }
    return String.join(" ", args);
  }

  private static void requireRange(String guest, String param, int value, int min, int max) {
    if (value < min || value > max) {
      throw new IllegalArgumentException(
          "guest " + guest + ": vccp." + param + "=" + value + " is outside " + min + ".." + max);
    }
  }

  /** Collects parameters; unset ones keep /init's defaults. */
  public static final class Builder {
    private final String name;
    private String ip;
    private String peer;
    private List<Workload> workloads = List.of(Workload.IDLE);
    private int sizeMb = 8;
    private int count = 3;
    private int port = 80;
    private int intervalMs = 200;
    private int timeoutS = 120;
    private int rate = 100;
    private int flow = 1;
    private int udpBytes = 64;

    private Builder(String name) {
      this.name = name;
    }

    /** Address with prefix, e.g. {@code 10.0.0.1/24}; a bare address gets {@code /24}. */
    public Builder ip(String ip) {
      this.ip = ip.contains("/") ? ip : ip + "/24";
      return this;
    }

    public Builder peer(String peer) {
      this.peer = peer;
      return this;
    }

    public Builder workloads(Workload... workloads) {
      this.workloads = List.of(workloads);
      return this;
    }

    public Builder sizeMb(int sizeMb) {
      this.sizeMb = sizeMb;
      return this;
    }

    public Builder count(int count) {
      this.count = count;
      return this;
    }

    public Builder port(int port) {
      this.port = port;
      return this;
    }

    public Builder intervalMs(int intervalMs) {
      this.intervalMs = intervalMs;
      return this;
    }

    public Builder timeoutS(int timeoutS) {
      this.timeoutS = timeoutS;
      return this;
    }

    /** udp-seq-send's datagrams per second. */
    public Builder rate(int rate) {
      this.rate = rate;
      return this;
    }

    /** The udp-seq flow id; a receiver counts only its own flow. */
    public Builder flow(int flow) {
      this.flow = flow;
      return this;
    }

    /** udp-seq datagram payload size in bytes (28..1472). */
    public Builder udpBytes(int udpBytes) {
      this.udpBytes = udpBytes;
      return this;
    }

    public GuestParams build() {
      return new GuestParams(
          name,
          ip,
          peer,
          workloads,
          sizeMb,
          count,
          port,
          intervalMs,
          timeoutS,
          rate,
          flow,
          udpBytes);
    }
  }
}
