package org.vccp.cli.demo;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.vccp.qemu.guest.GuestSpec;
import org.vccp.qemu.guest.NicSpec;
import org.vccp.qemu.guest.QemuGuest;
import org.vccp.qemu.guest.StreamSocket;
import org.vccp.qemu.image.GuestEvent;
import org.vccp.qemu.image.GuestImage;
import org.vccp.qemu.image.GuestImageKit;
import org.vccp.qemu.image.GuestParams;
import org.vccp.qemu.image.Workload;
import org.vccp.vnet.VirtualSwitch;
import org.vccp.vnet.config.SwitchContext;
import org.vccp.vnet.port.PortAddress;
import org.vccp.vnet.port.PortSpec;
import org.vccp.vnet.status.PortCounter;
import org.vccp.vnet.status.SwitchCounter;

/**
 * Two real QEMU guests on a {@code vccp switch}, one attached in each direction: g1's QEMU connects
 * to a port the switch listens on ({@code server=off}); the switch dials g2's QEMU ({@code
 * server=on}). They ping each other and g2 fetches a file g1 serves over HTTP. Used by {@code vccp
 * demo} and by the end-to-end test.
 */
public final class TwoGuestRun implements AutoCloseable {
  private static final Duration BOOT_TIMEOUT = Duration.ofSeconds(90);
  private static final Duration WORK_TIMEOUT = Duration.ofSeconds(120);

  /** What happened, for the demo's table and the test's assertions. */
  public record Result(
      List<GuestReport> guests,
      long servedBytes,
      String servedMd5,
      long fetchedBytes,
      String fetchedMd5,
      long fetchMs,
      List<PortReport> ports,
      long macsLearned) {
    public boolean md5Matches() {
      return servedMd5 != null && servedMd5.equals(fetchedMd5) && servedBytes == fetchedBytes;
    }

    public boolean clean() {
      return md5Matches() && guests.stream().allMatch(g -> g.pingsOk() == g.pingsSent());
    }
  }

  /** One guest's view. */
  public record GuestReport(
      String name, long bootMs, long pingsSent, long pingsOk, double avgRttMs) {}

  /** One switch port's counters. */
  public record PortReport(
      String name, String direction, long rxFrames, long txFrames, long drops) {}

  private final Path dir;
  private final Consumer<String> progress;
  private final List<AutoCloseable> open = new ArrayList<>();

  public TwoGuestRun(Path dir, Consumer<String> progress) {
    this.dir = dir;
    this.progress = progress;
  }

  public Result run(int sizeMb, int pings) {
    progress.accept("building the guest image (kernel + busybox initramfs from Debian packages)");
    GuestImage image = new GuestImageKit().build();

    Path g1Sock = dir.resolve("g1.sock");
    Path g2Sock = dir.resolve("g2.sock");
    SwitchContext ctx = new SwitchContext();
    ctx.redialMs = 50;
    ctx.ports.add(PortSpec.listen("g1", PortAddress.unix(g1Sock)));
    ctx.ports.add(PortSpec.connect("g2", PortAddress.unix(g2Sock)));
    progress.accept(
        "starting vccp switch: port g1 listens on " + g1Sock + ", port g2 dials " + g2Sock);
    VirtualSwitch sw = VirtualSwitch.start(ctx);
    open.add(sw);

    progress.accept("booting two QEMU guests (TCG) with -netdev stream");
    QemuGuest g2 =
        start(
            image,
            GuestParams.builder("g2")
                .ip("10.0.0.2/24")
                .peer("10.0.0.1")
                .workloads(Workload.PING, Workload.HTTP_FETCH_MD5)
                .count(pings)
                .build(),
            NicSpec.stream("n0", NicSpec.localMac(2), StreamSocket.unix(g2Sock, true)));
    QemuGuest g1 =
        start(
            image,
            GuestParams.builder("g1")
                .ip("10.0.0.1/24")
                .peer("10.0.0.2")
                .workloads(Workload.HTTP_SERVE, Workload.PING)
                .sizeMb(sizeMb)
                .count(pings)
                .build(),
            NicSpec.stream("n0", NicSpec.localMac(1), StreamSocket.unix(g1Sock, false)));

    List<GuestReport> reports = new ArrayList<>();
    for (QemuGuest g : List.of(g1, g2)) {
      var ready = g.awaitSerialLine(l -> l.startsWith("VCCP READY"), BOOT_TIMEOUT);
      progress.accept(g.name() + " ready after " + g.sinceStart(ready).toMillis() + " ms");
    }
    for (QemuGuest g : List.of(g1, g2)) {
      GuestEvent done =
          g.awaitEvent(
              e -> e.is(GuestEvent.DONE) && "ping".equals(e.get("workload")), WORK_TIMEOUT);
      List<GuestEvent> pingEvents = g.events().stream().filter(e -> e.is(GuestEvent.PING)).toList();
      double avg =
          pingEvents.stream()
              .filter(GuestEvent::ok)
              .mapToDouble(e -> e.getDouble("rtt_ms"))
              .average()
              .orElse(0);
      long bootMs = g.awaitEvent(GuestEvent.READY, BOOT_TIMEOUT).getLong("uptime_ms");
      reports.add(new GuestReport(g.name(), bootMs, pingEvents.size(), done.getLong("ok"), avg));
      progress.accept(
          g.name()
              + " pinged its peer: "
              + done.getLong("ok")
              + "/"
              + pingEvents.size()
              + " answered");
    }
    progress.accept("g2 fetching " + sizeMb + " MB from g1 over HTTP through the switch");
    GuestEvent served = g1.awaitEvent(GuestEvent.HTTP_SERVE, WORK_TIMEOUT);
    GuestEvent fetched = g2.awaitEvent(GuestEvent.FETCH, WORK_TIMEOUT);

    List<PortReport> ports = new ArrayList<>();
    for (var p : sw.ports()) {
      long drops = 0;
      for (PortCounter c : PortCounter.values()) {
        if (c.isDrop()) {
          drops += p.counters().get(c);
        }
      }
      ports.add(
          new PortReport(
              p.name(),
              p.spec().mode() == PortSpec.Mode.LISTEN ? "guest dials switch" : "switch dials guest",
              p.counters().get(PortCounter.RX_FRAMES),
              p.counters().get(PortCounter.TX_FRAMES),
              drops));
    }
    return new Result(
        reports,
        served.getLong("bytes"),
        served.get("md5"),
        fetched.ok() ? fetched.getLong("bytes") : -1,
        fetched.ok() ? fetched.get("md5") : null,
        fetched.ok() ? fetched.getLong("ms") : -1,
        ports,
        sw.counters().get(SwitchCounter.MAC_LEARNED));
  }

  private QemuGuest start(GuestImage image, GuestParams params, NicSpec nic) {
    GuestSpec spec =
        GuestSpec.builder(params.name())
            .image(image)
            .params(params)
            .nic(nic)
            .serialLog(dir.resolve(params.name() + ".serial.log"))
            .build();
    QemuGuest g = QemuGuest.start(spec);
    open.add(g);
    return g;
  }

  @Override
  public void close() {
    for (int i = open.size() - 1; i >= 0; i--) {
      try {
        open.get(i).close();
      } catch (Exception e) {
        // keep closing the rest
      }
    }
    open.clear();
  }
}
