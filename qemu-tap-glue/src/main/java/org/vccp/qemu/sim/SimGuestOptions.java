package org.vccp.qemu.sim;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.vccp.qemu.guest.StreamSocket;

/**
 * Everything a simulated guest is started with, validated once here. The command line mirrors what
 * VCCP gives QEMU: {@link #parse} reads it and {@link #toArgs} writes it, so a checkpoint can
 * record a sim-guest's arguments and a restore can start the same guest with {@code --incoming
 * defer} added.
 *
 * @param name guest name in reports
 * @param qmpSocket the QMP server's Unix socket ({@code --qmp unix:PATH})
 * @param netdev the NIC's stream socket ({@code --netdev stream,addr=unix:PATH,server=on|off})
 * @param mac the NIC's MAC address, lower case
 * @param ip IPv4 address of the guest, or null (then only {@code idle} makes sense)
 * @param peer IPv4 address udp-seq-send sends to, or null
 * @param workload what runs
 * @param rate udp-seq-send datagrams per second of guest time
 * @param serialFile where report lines go (truncated at start)
 * @param incomingDefer start in {@code inmigrate}, waiting for QMP {@code migrate-incoming}
 * @param port UDP port of the udp-seq receiver and the echo responder
 * @param flow udp-seq flow id; sender and receiver must agree
 * @param udpBytes udp-seq datagram size, 28..1472
 * @param count udp-seq datagrams to send or expect; 0 for no end
 * @param reportMs period of UDPSEQ/ECHO report lines, in guest time
 */
public record SimGuestOptions(
    String name,
    Path qmpSocket,
    StreamSocket netdev,
    String mac,
    String ip,
    String peer,
    SimWorkloadKind workload,
    int rate,
    Path serialFile,
    boolean incomingDefer,
    int port,
    int flow,
    int udpBytes,
    long count,
    int reportMs) {

  public static final int DEFAULT_RATE = 100;
  public static final int DEFAULT_PORT = 5001;
  public static final int DEFAULT_FLOW = 1;
  public static final int DEFAULT_UDP_BYTES = 64;
  public static final int DEFAULT_REPORT_MS = 1000;

  public SimGuestOptions {
    require(
        name != null && name.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,31}"),
        "--name '" + name + "' must be 1-32 letters, digits, '.', '_' or '-'");
    require(qmpSocket != null, "--qmp unix:PATH is required");
    require(netdev != null, "--netdev stream,addr=unix:PATH,server=on|off is required");
    require(mac != null, "--mac is required");
    mac = Frames.formatMac(Frames.parseMac(mac));
    require((Frames.parseMac(mac) & (1L << 40)) == 0, "--mac " + mac + " is a multicast address");
    if (ip != null) {
      Frames.parseIpv4(ip);
    }
    if (peer != null) {
      Frames.parseIpv4(peer);
    }
    Objects.requireNonNull(workload, "workload");
    require(
        workload == SimWorkloadKind.IDLE || ip != null, "--workload " + workload + " needs --ip");
    require(
        workload != SimWorkloadKind.UDP_SEQ_SEND || peer != null,
        "--workload udp-seq-send needs --peer");
    require(serialFile != null, "--serial FILE is required");
    require(rate >= 1 && rate <= 1_000_000, "--rate " + rate + " is outside 1..1000000");
    require(port >= 1 && port <= 65535, "--port " + port + " is outside 1..65535");
    require(flow >= 0, "--flow " + flow + " is negative");
    require(
        udpBytes >= UdpSeqPayload.HEADER_BYTES && udpBytes <= UdpSeqPayload.MAX_BYTES,
        "--udp-bytes " + udpBytes + " is outside 28..1472");
    require(count >= 0 && count <= Integer.MAX_VALUE, "--count " + count + " is outside 0..2^31-1");
    require(
        reportMs >= 10 && reportMs <= 3_600_000,
        "--report-ms " + reportMs + " is outside 10..3600000");
  }

  /** Reads {@code --key value} (or {@code --key=value}) arguments; {@code --help} is not here. */
  public static SimGuestOptions parse(List<String> args) {
    Map<String, String> values = new LinkedHashMap<>();
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      if (!arg.startsWith("--")) {
        throw new IllegalArgumentException("unexpected argument '" + arg + "'");
      }
      String key;
      String value;
      int equals = arg.indexOf('=');
      if (equals > 0) {
        key = arg.substring(2, equals);
        value = arg.substring(equals + 1);
      } else if (i + 1 < args.size()) {
        key = arg.substring(2);
        value = args.get(++i);
      } else {
        throw new IllegalArgumentException("option " + arg + " needs a value");
      }
      if (values.put(key, value) != null) {
        throw new IllegalArgumentException("option --" + key + " is given twice");
      }
    }
    Builder b = builder(values.remove("name"));
    String qmp = values.remove("qmp");
    if (qmp != null) {
      b.qmp(parseQmp(qmp));
    }
    String netdev = values.remove("netdev");
    if (netdev != null) {
      b.netdev(parseNetdev(netdev));
    }
    b.mac(values.remove("mac")).ip(values.remove("ip")).peer(values.remove("peer"));
    String workload = values.remove("workload");
    if (workload != null) {
      b.workload(SimWorkloadKind.fromCliName(workload));
    }
    String serial = values.remove("serial");
    if (serial != null) {
      b.serial(Path.of(serial));
    }
    String incoming = values.remove("incoming");
    if (incoming != null) {
      b.incomingDefer(parseIncoming(incoming));
    }
    b.rate(intOption(values, "rate", DEFAULT_RATE));
    b.port(intOption(values, "port", DEFAULT_PORT));
    b.flow(intOption(values, "flow", DEFAULT_FLOW));
    b.udpBytes(intOption(values, "udp-bytes", DEFAULT_UDP_BYTES));
    b.count(intOption(values, "count", 0));
    b.reportMs(intOption(values, "report-ms", DEFAULT_REPORT_MS));
    if (!values.isEmpty()) {
      throw new IllegalArgumentException("unknown option --" + values.keySet().iterator().next());
    }
    return b.build();
  }

  /** The arguments {@link #parse} reads back into these options. */
  public List<String> toArgs() {
    List<String> args = new ArrayList<>();
    add(args, "name", name);
    add(args, "qmp", "unix:" + qmpSocket);
    add(args, "netdev", formatNetdev(netdev));
    add(args, "mac", mac);
    if (ip != null) {
      add(args, "ip", ip);
    }
    if (peer != null) {
      add(args, "peer", peer);
    }
    add(args, "workload", workload.cliName());
    add(args, "rate", Integer.toString(rate));
    add(args, "port", Integer.toString(port));
    add(args, "flow", Integer.toString(flow));
    add(args, "udp-bytes", Integer.toString(udpBytes));
    add(args, "count", Long.toString(count));
    add(args, "report-ms", Integer.toString(reportMs));
    add(args, "serial", serialFile.toString());
    if (incomingDefer) {
      add(args, "incoming", "defer");
    }
    return args;
  }

  /** The same guest, started with {@code --incoming defer} and its serial in another file. */
  public SimGuestOptions forRestore(Path restoredSerialFile) {
    return new SimGuestOptions(
        name,
        qmpSocket,
        netdev,
        mac,
        ip,
        peer,
        workload,
        rate,
        restoredSerialFile,
        true,
        port,
        flow,
        udpBytes,
        count,
        reportMs);
  }

  /** The same guest with {@code --incoming defer} on or off, its serial in the same file. */
  public SimGuestOptions withIncomingDefer(boolean incoming) {
    return new SimGuestOptions(
        name,
        qmpSocket,
        netdev,
        mac,
        ip,
        peer,
        workload,
        rate,
        serialFile,
        incoming,
        port,
        flow,
        udpBytes,
        count,
        reportMs);
  }

  /** {@code unix:PATH}, the only QMP address a sim-guest serves. */
  public static Path parseQmp(String text) {
    if (!text.startsWith("unix:") || text.length() == 5) {
      throw new IllegalArgumentException("--qmp '" + text + "' must be unix:PATH");
    }
    String path = text.substring(5);
    int comma = path.indexOf(',');
    if (comma >= 0) { // QEMU's ",server=on,wait=off" is implied
      path = path.substring(0, comma);
    }
    return Path.of(path).toAbsolutePath().normalize();
  }

  /**
   * {@code stream,addr=unix:PATH,server=on|off} or {@code addr=tcp:HOST:PORT}; QEMU's own {@code
   * addr.type=unix,addr.path=PATH} and {@code addr.type=inet,addr.host=H,addr.port=P} spellings and
   * an {@code id=} are accepted too.
   */
  public static StreamSocket parseNetdev(String text) {
    String[] parts = text.split(",");
    if (!parts[0].equals("stream")) {
      throw new IllegalArgumentException(
          "--netdev '" + text + "' must start with 'stream,' (the only netdev a sim-guest has)");
    }
    Map<String, String> kv = new LinkedHashMap<>();
    for (int i = 1; i < parts.length; i++) {
      int equals = parts[i].indexOf('=');
      if (equals <= 0) {
        throw new IllegalArgumentException("--netdev option '" + parts[i] + "' is not key=value");
      }
      kv.put(parts[i].substring(0, equals), parts[i].substring(equals + 1));
    }
    kv.remove("id");
    String server = kv.remove("server");
    if (!"on".equals(server) && !"off".equals(server)) {
      throw new IllegalArgumentException("--netdev '" + text + "' needs server=on or server=off");
    }
    boolean listens = server.equals("on");
    String addr = kv.remove("addr");
    String type = kv.remove("addr.type");
    String path = kv.remove("addr.path");
    String host = kv.remove("addr.host");
    String port = kv.remove("addr.port");
    if (!kv.isEmpty()) {
      throw new IllegalArgumentException(
          "--netdev option '" + kv.keySet().iterator().next() + "' is not supported");
    }
    try {
      if (addr != null && type == null) {
        if (addr.startsWith("unix:") && addr.length() > 5) {
          return StreamSocket.unix(Path.of(addr.substring(5)), listens);
        }
        int colon = addr.lastIndexOf(':');
        if (addr.startsWith("tcp:") && colon > 4) {
          return StreamSocket.tcp(
              addr.substring(4, colon), Integer.parseInt(addr.substring(colon + 1)), listens);
        }
      } else if (addr == null && "unix".equals(type) && path != null) {
        return StreamSocket.unix(Path.of(path), listens);
      } else if (addr == null && "inet".equals(type) && host != null && port != null) {
        return StreamSocket.tcp(host, Integer.parseInt(port), listens);
      }
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--netdev '" + text + "' has a port that is not a number");
    }
    throw new IllegalArgumentException(
        "--netdev '" + text + "' needs addr=unix:PATH or addr=tcp:HOST:PORT");
  }

  static String formatNetdev(StreamSocket s) {
    String addr = s.isUnix() ? "unix:" + s.path() : "tcp:" + s.host() + ":" + s.port();
    return "stream,addr=" + addr + ",server=" + (s.server() ? "on" : "off");
  }

  private static boolean parseIncoming(String text) {
    if (!text.equals("defer")) {
      throw new IllegalArgumentException(
          "--incoming '" + text + "': only 'defer' is supported; then send QMP migrate-incoming");
    }
    return true;
  }

  private static int intOption(Map<String, String> values, String key, int defaultValue) {
    String value = values.remove(key);
    if (value == null) {
      return defaultValue;
    }
    try {
      return Integer.parseInt(value);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--" + key + " '" + value + "' is not a whole number");
    }
  }

  private static void add(List<String> args, String key, String value) {
    args.add("--" + key);
    args.add(value);
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }

  public static Builder builder(String name) {
    return new Builder(name);
  }

  /** Builds options; defaults as the command line has them. */
  public static final class Builder {
    private final String name;
    private Path qmp;
    private StreamSocket netdev;
    private String mac;
    private String ip;
    private String peer;
    private SimWorkloadKind workload = SimWorkloadKind.IDLE;
    private int rate = DEFAULT_RATE;
    private Path serial;
    private boolean incomingDefer;
    private int port = DEFAULT_PORT;
    private int flow = DEFAULT_FLOW;
    private int udpBytes = DEFAULT_UDP_BYTES;
    private long count;
    private int reportMs = DEFAULT_REPORT_MS;

    private Builder(String name) {
      this.name = name;
    }

    public Builder qmp(Path qmp) {
      this.qmp = qmp.toAbsolutePath().normalize();
      return this;
    }

    public Builder netdev(StreamSocket netdev) {
      this.netdev = netdev;
      return this;
    }

    public Builder mac(String mac) {
      this.mac = mac;
      return this;
    }

    public Builder ip(String ip) {
      this.ip = ip;
      return this;
    }

    public Builder peer(String peer) {
      this.peer = peer;
      return this;
    }

    public Builder workload(SimWorkloadKind workload) {
      this.workload = workload;
      return this;
    }

    public Builder rate(int rate) {
      this.rate = rate;
      return this;
    }

    public Builder serial(Path serial) {
      this.serial = serial;
      return this;
    }

    public Builder incomingDefer(boolean incomingDefer) {
      this.incomingDefer = incomingDefer;
      return this;
    }

    public Builder port(int port) {
      this.port = port;
      return this;
    }

    public Builder flow(int flow) {
      this.flow = flow;
      return this;
    }

    public Builder udpBytes(int udpBytes) {
      this.udpBytes = udpBytes;
      return this;
    }

    public Builder count(long count) {
      this.count = count;
      return this;
    }

    public Builder reportMs(int reportMs) {
      this.reportMs = reportMs;
      return this;
    }

    public SimGuestOptions build() {
      return new SimGuestOptions(
          name,
          qmp,
          netdev,
          mac,
          ip,
          peer,
          workload,
          rate,
          serial,
          incomingDefer,
          port,
          flow,
          udpBytes,
          count,
          reportMs);
    }
  }
}
