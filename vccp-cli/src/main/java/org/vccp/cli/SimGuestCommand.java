package org.vccp.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.vccp.qemu.guest.StreamSocket;
import org.vccp.qemu.sim.SimGuestMain;
import org.vccp.qemu.sim.SimGuestOptions;
import org.vccp.qemu.sim.SimWorkloadKind;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;

/** {@code vccp sim-guest}: a simulated QEMU guest process for fast tests and QEMU-less demos. */
@Command(
    name = "sim-guest",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Run a simulated QEMU guest in this process: a QMP monitor (QEMU 7.2 wire format; the"
          + " subset VCCP uses: qmp_capabilities, query-status, stop, cont, migrate and"
          + " migrate-incoming via exec:/unix:, query-migrate, migrate-set-*, quit), one NIC on a"
          + " -netdev stream socket, and a deterministic workload whose whole state is in its"
          + " migration stream. Reports go to the serial file as `VCCP <EVENT> k=v` lines, like"
          + " the real test guests'.",
      "",
      "Exit status: 0 after QMP quit or system_powerdown, 1 when an incoming migration fails to"
          + " load (as QEMU exits), 2 when its sockets cannot be opened.",
      ""
    })
final class SimGuestCommand implements Callable<Integer> {
  @Option(names = "--name", required = true, description = "Guest name, used in reports.")
  String name;

  @Option(
      names = "--qmp",
      required = true,
      paramLabel = "unix:PATH",
      converter = QmpConverter.class,
      description = "QMP monitor socket (the guest listens; one client at a time).")
  Path qmp;

  @Option(
      names = "--netdev",
      required = true,
      paramLabel = "stream,addr=unix:PATH,server=on|off",
      converter = NetdevConverter.class,
      description =
          "The NIC's stream socket, framed like QEMU's -netdev stream. server=on listens and"
              + " listens again when the peer leaves; server=off connects once and never again"
              + " (QEMU 7.2). addr=tcp:HOST:PORT also works.")
  StreamSocket netdev;

  @Option(names = "--mac", required = true, description = "NIC MAC, e.g. 52:54:00:00:00:01.")
  String mac;

  @Option(names = "--ip", description = "Guest IPv4 address (needed by every workload but idle).")
  String ip;

  @Option(names = "--peer", description = "IPv4 address udp-seq-send sends to.")
  String peer;

  @Option(
      names = "--workload",
      paramLabel = "udp-seq-send|udp-seq-recv|echo|idle",
      converter = WorkloadConverter.class,
      description = "What the guest runs (default idle).")
  SimWorkloadKind workload = SimWorkloadKind.IDLE;

  @Option(
      names = "--rate",
      description = "udp-seq-send datagrams per second of guest time (default ${DEFAULT-VALUE}).")
  int rate = SimGuestOptions.DEFAULT_RATE;

  @Option(names = "--serial", required = true, description = "Serial output file (truncated).")
  Path serial;

  @Option(
      names = "--incoming",
      paramLabel = "defer",
      description = "Start waiting for QMP migrate-incoming, as QEMU's -incoming defer.")
  String incoming;

  @Option(
      names = "--port",
      description = "UDP port of udp-seq and echo (default ${DEFAULT-VALUE}).")
  int port = SimGuestOptions.DEFAULT_PORT;

  @Option(
      names = "--flow",
      description = "udp-seq flow id; sender and receiver agree (default ${DEFAULT-VALUE}).")
  int flow = SimGuestOptions.DEFAULT_FLOW;

  @Option(
      names = "--udp-bytes",
      description = "udp-seq datagram size, 28..1472 (default ${DEFAULT-VALUE}).")
  int udpBytes = SimGuestOptions.DEFAULT_UDP_BYTES;

  @Option(
      names = "--count",
      description = "udp-seq datagrams to send or expect, then DONE; 0 for no end (default 0).")
  long count;

  @Option(
      names = "--report-ms",
      description = "Period of UDPSEQ/ECHO report lines in guest time (default ${DEFAULT-VALUE}).")
  int reportMs = SimGuestOptions.DEFAULT_REPORT_MS;

  @Override
  public Integer call() throws Exception {
    if (incoming != null && !incoming.equals("defer")) {
      throw new IllegalArgumentException(
          "--incoming '" + incoming + "': only 'defer' is supported; then send migrate-incoming");
    }
    return SimGuestMain.run(options());
  }

  /** The validated options, exactly what {@code SimGuestOptions.parse} makes of the same args. */
  SimGuestOptions options() {
    return SimGuestOptions.builder(name)
        .qmp(qmp)
        .netdev(netdev)
        .mac(mac)
        .ip(ip)
        .peer(peer)
        .workload(workload)
        .rate(rate)
        .serial(serial)
        .incomingDefer(incoming != null)
        .port(port)
        .flow(flow)
        .udpBytes(udpBytes)
        .count(count)
        .reportMs(reportMs)
        .build();
  }

  static final class QmpConverter implements ITypeConverter<Path> {
    @Override
    public Path convert(String value) {
      return SimGuestOptions.parseQmp(value);
    }
  }

  static final class NetdevConverter implements ITypeConverter<StreamSocket> {
    @Override
    public StreamSocket convert(String value) {
      return SimGuestOptions.parseNetdev(value);
    }
  }

  static final class WorkloadConverter implements ITypeConverter<SimWorkloadKind> {
    @Override
    public SimWorkloadKind convert(String value) {
      return SimWorkloadKind.fromCliName(value);
    }
  }
}
