package org.vccp.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.vccp.vnet.config.SwitchConfigFile;
import org.vccp.vnet.config.SwitchContext;
import org.vccp.vnet.control.SwitchDaemon;
import org.vccp.vnet.frame.MacAddress;
import org.vccp.vnet.port.PortBindException;
import org.vccp.vnet.port.PortSpec;
import org.vccp.vnet.port.Sizes;
import org.vccp.vnet.record.RecordingSettings;
import org.vccp.vnet.ring.WaitStrategyName;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code vccp switch}: runs the virtual switch until interrupted. */
@Command(
    name = "switch",
    mixinStandardHelpOptions = true,
    description = {
      "Run the virtual switch. QEMU guests attach with -netdev stream (or dgram) to its ports.",
      "",
      "Port spec: NAME,listen=ADDR | NAME,connect=ADDR | NAME,dgram=ADDR,remote=ADDR"
          + " | NAME,pcap=IFNAME[,offload]",
      "  [,lossless] [,vlan=N | ,trunk=10:20[,native=N]] [,queue=BYTES]",
      "ADDR: unix:/path | tcp:HOST:PORT | udp:HOST:PORT",
      "  listen  = the switch listens; QEMU: -netdev stream,server=off,addr.type=unix,addr.path=...",
      "  connect = the switch dials QEMU (server=on) and redials it when the connection drops",
      "  pcap    = an existing tap/veth/uplink interface through libpcap (offloads off: README)",
      "  offload = with pcap=: a packet socket with virtio-net headers instead; offloads stay on"
          + " and 64 KiB TCP super-frames cross whole",
      ""
    },
    sortOptions = false)
final class SwitchCommand implements java.util.concurrent.Callable<Integer> {
  @Option(names = "--port", paramLabel = "SPEC", description = "A port (repeatable).")
  List<String> ports = new ArrayList<>();

  @Option(
      names = "--config",
      paramLabel = "FILE",
      description = "YAML switch config (flags override it).")
  Path config;

  @Option(
      names = "--name",
      paramLabel = "NAME",
      description =
          "Switch name: its control socket is $VCCP_RUNTIME_DIR/NAME.sock, which vccp ctl"
              + " --switch, the vccp-ifup scripts (VCCP_SWITCH) and vccp-bridge-helper (br=NAME)"
              + " find; also the first part of recording file names (default: switch).")
  String name;

  @Option(
      names = "--control",
      paramLabel = "PATH",
      description = "Control socket for vccp ctl (default: " + "$VCCP_RUNTIME_DIR/NAME.sock).")
  Path control;

  @Option(
      names = "--metrics-port",
      paramLabel = "N",
      description = "Serve Prometheus metrics on 127.0.0.1:N/metrics.")
  Integer metricsPort;

  @Option(
      names = "--aging-seconds",
      paramLabel = "S",
      description = "MAC aging time (default 300).")
  Long agingSeconds;

  @Option(
      names = "--static-mac",
      paramLabel = "MAC@PORT[:VLAN]",
      description = "A static MAC entry (repeatable).")
  List<String> staticMacs = new ArrayList<>();

  @Option(
      names = "--egress-queue-bytes",
      paramLabel = "BYTES",
      description = "Per-port egress queue (default 1MiB).")
  String egressQueue;

  @Option(
      names = "--ring-slots",
      paramLabel = "N",
      description = "Frame ring size, a power of two (default 4096).")
  Integer ringSlots;

  @Option(
      names = "--io-threads",
      paramLabel = "N",
      description = "Socket I/O threads (default: 2, or 1 on one core).")
  Integer ioThreads;

  @Option(
      names = "--wait-strategy",
      paramLabel = "NAME",
      description =
          "Forwarder wait: phased (default: spins, yields, then sleeps), blocking (sleeps at"
              + " once: least CPU, e.g. beside busy guests), sleeping, yielding, busy-spin.")
  String waitStrategy;

  @Option(
      names = "--forward-on-ingress",
      arity = "1",
      paramLabel = "true|false",
      description =
          "Forward on the thread that read the frame when the ring is idle, instead of waking the"
              + " forwarder thread (default: true).")
  Boolean forwardOnIngress;

  @Option(
      names = "--nice",
      paramLabel = "N",
      description =
          "Scheduling priority (nice value, -20..19) of every switch thread; e.g. -10, as ovs-ctl"
              + " runs ovs-vswitchd, to keep up with busy guests. Below 0 needs root or"
              + " CAP_SYS_NICE. Default: unchanged.")
  Integer nice;

  @Option(
      names = "--record",
      paramLabel = "DIR",
      description = "Record every frame event as pcapng into DIR (see docs/recording-format.md).")
  Path record;

  @Option(
      names = "--record-rotate",
      paramLabel = "SIZE|AGE",
      description = "Start a new recording file after SIZE (e.g. 1GiB) or AGE (e.g. 10m).")
  String recordRotate;

  @Option(
      names = "--record-snaplen",
      paramLabel = "BYTES",
      description = "Keep at most BYTES of each recorded frame (default 65535).")
  Integer recordSnapLen;

  @Option(
      names = "--record-egress-snaplen",
      paramLabel = "BYTES",
      description = {
        "Keep at most BYTES of the events after a frame's ingress (egress, held, dropped at",
        "egress), whose bytes the ingress event already holds (default 128: every header",
        "vccp verify reads; 65535 writes each event in full)."
      })
  Integer recordEgressSnapLen;

  @Option(
      names = "--record-keep",
      paramLabel = "FILES",
      description = {
        "Keep at most FILES files of a rotated recording: opening a new one deletes the oldest",
        "(a ring of files, as dumpcap -b files:N). Default 0: keep every file."
      })
  Integer recordKeep;

  @Option(names = "--verbose", description = "Print the effective settings at start.")
  boolean verbose;

  @Override
  public Integer call() throws Exception {
    SwitchContext ctx = new SwitchContext();
    if (config != null) {
      SwitchConfigFile.read(config, ctx);
    }
    for (String p : ports) {
      ctx.ports.add(PortSpec.parse(p));
    }
    for (String m : staticMacs) {
      int at = m.indexOf('@');
      if (at < 0) {
        throw new IllegalArgumentException("--static-mac '" + m + "': expected MAC@PORT[:VLAN]");
      }
      String rest = m.substring(at + 1);
      int colon = rest.indexOf(':');
      ctx.staticMacs.add(
          new SwitchContext.StaticMac(
              MacAddress.parse(m.substring(0, at)),
              colon < 0 ? rest : rest.substring(0, colon),
              colon < 0 ? 1 : Integer.parseInt(rest.substring(colon + 1))));
    }
    if (control == null && (name != null || ctx.controlSocket == null)) {
      control =
          org.vccp.vnet.control.SwitchSockets.controlSocket(
              name != null ? name : org.vccp.vnet.control.SwitchSockets.DEFAULT_NAME);
    }
    if (control != null) {
      ctx.controlSocket = control;
      Files.createDirectories(control.toAbsolutePath().getParent());
    }
    if (metricsPort != null) {
      ctx.metricsPort = metricsPort;
    }
    if (agingSeconds != null) {
      ctx.agingSeconds = agingSeconds;
    }
    if (egressQueue != null) {
      ctx.egressQueueBytes = (int) Sizes.parseBytes(egressQueue, "--egress-queue-bytes");
    }
    if (ringSlots != null) {
      ctx.ringSlots = ringSlots;
    }
    if (ioThreads != null) {
      ctx.ioThreads = ioThreads;
    }
    if (name != null) {
      ctx.name = name;
    }
    if (record != null) {
      ctx.recordDir = record.toAbsolutePath();
    }
    if (recordRotate != null) {
      long[] r = RecordingSettings.parseRotate(recordRotate);
      ctx.recordRotateBytes = r[0];
      ctx.recordRotateNs = r[1];
    }
    if (recordSnapLen != null) {
      ctx.recordSnapLen = recordSnapLen;
    }
    if (recordEgressSnapLen != null) {
      ctx.recordEgressSnapLen = recordEgressSnapLen;
    }
    if (recordKeep != null) {
      ctx.recordKeepFiles = recordKeep;
    }
    if (waitStrategy != null) {
      ctx.waitStrategy = WaitStrategyName.valueOf(waitStrategy.toUpperCase().replace('-', '_'));
    }
    if (forwardOnIngress != null) {
      ctx.forwardOnIngress = forwardOnIngress;
    }
    if (nice != null) {
      ctx.nice = nice;
    }
    ctx.validate();
    if (verbose) {
      System.out.print(ctx.describe());
    }
    if (ctx.nice != null) {
      try {
        org.vccp.vnet.control.ProcessPriority.setNice(ctx.nice);
      } catch (java.io.IOException e) {
        System.err.println(
            "vccp switch: "
                + e.getMessage()
                + (ctx.nice < 0
                    ? "; a nice value below 0 needs root or CAP_SYS_NICE (or leave out --nice)"
                    : ""));
        return 1;
      }
    }
    SwitchDaemon daemon;
    try {
      daemon = SwitchDaemon.start(ctx);
    } catch (PortBindException e) {
      System.err.println("vccp switch: " + e.getMessage());
      return 1;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  daemon.close();
                  stopped.countDown();
                },
                "vccp-shutdown"));
    System.out.println(
        "vccp switch: ready with "
            + ctx.ports.size()
            + " port(s); control unix:"
            + ctx.controlSocket
            + (ctx.recordDir != null ? "; recording to " + ctx.recordDir : "")
            + (ctx.metricsPort > 0
                ? "; metrics http://127.0.0.1:" + ctx.metricsPort + "/metrics"
                : ""));
    System.out.flush();
    stopped.await();
    return 0;
  }
}
