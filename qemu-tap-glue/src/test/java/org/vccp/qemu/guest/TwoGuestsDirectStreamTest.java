package org.vccp.qemu.guest;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vccp.qemu.image.GuestEvent;
import org.vccp.qemu.image.GuestImage;
import org.vccp.qemu.image.GuestImageKit;
import org.vccp.qemu.image.GuestParams;
import org.vccp.qemu.image.Workload;

/**
 * Two real guests wired QEMU-to-QEMU by one {@code -netdev stream} Unix socket (g1 listens, g2
 * connects), booted together once: they ping each other, and 8 MB served by g1 reaches g2 with the
 * same MD5. No switch is involved; this proves the guest image, /init and the launcher.
 */
@Tag("qemu")
class TwoGuestsDirectStreamTest {

  private static final Duration BOOT_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration WORKLOAD_TIMEOUT = Duration.ofSeconds(60);
  private static final int SIZE_MB = 8;
  private static final int PINGS = 3;

  @TempDir static Path dir;

  private static QemuGuest g1;
  private static QemuGuest g2;

  @BeforeAll
  static void bootBoth() {
    Assumptions.assumeTrue(
        QemuCommandLine.qemuAvailable(),
        "qemu-system-x86_64 is not on the PATH: install qemu-system-x86 to run real-guest tests");
    GuestImage image = new GuestImageKit().build();
    Path socket = dir.resolve("g1.sock");

    g1 =
        QemuGuest.start(
            spec(
                image,
                GuestParams.builder("g1")
                    .ip("10.0.0.1/24")
                    .peer("10.0.0.2")
                    .workloads(Workload.HTTP_SERVE, Workload.PING)
                    .sizeMb(SIZE_MB)
                    .count(PINGS)
                    .build(),
                NicSpec.stream("n0", NicSpec.localMac(1), StreamSocket.unix(socket, true))));
    g1.awaitListening("n0", Duration.ofSeconds(10));
    g2 =
        QemuGuest.start(
            spec(
                image,
                GuestParams.builder("g2")
                    .ip("10.0.0.2/24")
                    .peer("10.0.0.1")
                    .workloads(Workload.PING, Workload.HTTP_FETCH_MD5)
                    .count(PINGS)
                    .build(),
                NicSpec.stream("n0", NicSpec.localMac(2), StreamSocket.unix(socket, false))));

    for (QemuGuest guest : List.of(g1, g2)) {
      SerialLine ready = guest.awaitSerialLine(line -> line.startsWith("VCCP READY"), BOOT_TIMEOUT);
      System.out.printf(
          "%s: launch to READY %d ms (guest uptime %s ms)%n",
          guest.name(),
          guest.sinceStart(ready).toMillis(),
          ready.event().orElseThrow().get("uptime_ms"));
    }
  }

  @AfterAll
  static void stopBoth() {
    for (QemuGuest guest : new QemuGuest[] {g2, g1}) {
      if (guest != null) {
        guest.close();
      }
    }
  }

  @Test
  void bothGuestsComeUpWithTheirAddressAndMac() {
    GuestEvent ready1 = g1.awaitEvent(GuestEvent.READY, BOOT_TIMEOUT);
    GuestEvent ready2 = g2.awaitEvent(GuestEvent.READY, BOOT_TIMEOUT);

    assertThat(ready1.get("ip")).isEqualTo("10.0.0.1/24");
    assertThat(ready1.get("mac")).isEqualTo(NicSpec.localMac(1));
    assertThat(ready2.get("ip")).isEqualTo("10.0.0.2/24");
    assertThat(ready2.get("mac")).isEqualTo(NicSpec.localMac(2));
    assertThat(g1.events()).noneMatch(e -> e.is(GuestEvent.ERROR));
    assertThat(g2.events()).noneMatch(e -> e.is(GuestEvent.ERROR));
  }

  @Test
  void eachGuestPingsTheOtherIncludingTheOneServingHttp() {
    for (QemuGuest guest : List.of(g1, g2)) {
      GuestEvent done =
          guest.awaitEvent(
              e -> e.is(GuestEvent.DONE) && "ping".equals(e.get("workload")), WORKLOAD_TIMEOUT);

      assertThat(done.getLong("ok")).as(guest.name() + " pings answered").isEqualTo(PINGS);
      assertThat(guest.events())
          .filteredOn(e -> e.is(GuestEvent.PING))
          .hasSize(PINGS)
          .allMatch(GuestEvent::ok);
    }
  }

  @Test
  void eightMegabytesServedByG1ArriveAtG2WithTheSameMd5() {
    GuestEvent served = g1.awaitEvent(GuestEvent.HTTP_SERVE, WORKLOAD_TIMEOUT);
    GuestEvent fetched = g2.awaitEvent(GuestEvent.FETCH, WORKLOAD_TIMEOUT);

    assertThat(served.getLong("bytes")).isEqualTo(SIZE_MB * 1024L * 1024L);
    assertThat(fetched.ok()).as("fetch succeeded: %s", fetched).isTrue();
    assertThat(fetched.getLong("bytes")).isEqualTo(served.getLong("bytes"));
    assertThat(fetched.get("md5")).hasSize(32).isEqualTo(served.get("md5"));
    System.out.printf(
        "%d MB over HTTP g1 -> g2 in %d ms (guest clock, %d attempt(s))%n",
        SIZE_MB, fetched.getLong("ms"), fetched.getLong("tries"));
  }

  private static GuestSpec spec(GuestImage image, GuestParams params, NicSpec nic) {
    return GuestSpec.builder(params.name())
        .image(image)
        .params(params)
        .nic(nic)
        .serialLog(dir.resolve(params.name() + ".serial.log"))
        .build();
  }
}
