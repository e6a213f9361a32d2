package org.vccp.qemu.guest;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
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
 * Two real guests on one {@code -netdev stream} socket pair send each other numbered UDP datagrams
 * for 30 s (200 per second each way, {@code udp-seq-recv,udp-seq-send} on both): each receiver
 * reports every datagram once, in order, with no gap. This is the baseline the switch and the
 * checkpoint tests are held to.
 */
@Tag("qemu")
class UdpSeqDirectStreamTest {

  private static final int RATE = 200;
  private static final int SECONDS = 30;
  private static final int COUNT = RATE * SECONDS;
  private static final int PORT = 5001;
  private static final Duration BOOT_TIMEOUT = Duration.ofSeconds(90);
  private static final Duration RUN_TIMEOUT = Duration.ofSeconds(SECONDS + 90);

  @TempDir static Path dir;

  private static QemuGuest g1;
  private static QemuGuest g2;

  @BeforeAll
  static void bootBoth() {
    Assumptions.assumeTrue(
        QemuCommandLine.qemuAvailable(),
        "qemu-system-x86_64 is not on the PATH: install qemu-system-x86 to run real-guest tests");
    GuestImage image = new GuestImageKit().build();
    Path socket = dir.resolve("link.sock");
    g1 = QemuGuest.start(spec(image, "u1", 1, "10.0.0.1", "10.0.0.2", true, socket));
    g1.awaitListening("n0", Duration.ofSeconds(30));
    g2 = QemuGuest.start(spec(image, "u2", 2, "10.0.0.2", "10.0.0.1", false, socket));
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
  void thirtySecondsOfNumberedDatagramsEachWayArriveOnceInOrderWithoutGaps() {
    for (QemuGuest guest : List.of(g1, g2)) {
      guest.awaitEvent(GuestEvent.READY, BOOT_TIMEOUT);
    }
    for (QemuGuest guest : List.of(g1, g2)) {
      SerialLine started =
          guest.awaitSerialLine(
              Pattern.compile("^VCCP UDPSEQ role=send flow=1 sent=0 "), BOOT_TIMEOUT);
      SerialLine sent =
          guest.awaitSerialLine(Pattern.compile("^VCCP DONE workload=udp-seq-send "), RUN_TIMEOUT);
      GuestEvent send = sent.event().orElseThrow();
      double sendSeconds = (sent.seenNanos() - started.seenNanos()) / 1e9;

      assertThat(send.getLong("sent")).as(guest.name() + " sent").isEqualTo(COUNT);
      assertThat(send.getLong("errors")).isZero();
      assertThat(send.getLong("udp_sndbuf_errors")).isZero();
      assertThat(sendSeconds).as(guest.name() + " sending time, s").isGreaterThan(SECONDS - 1.5);
      System.out.printf(
          "%s sent %d datagrams in %.1f s (host clock)%n", guest.name(), COUNT, sendSeconds);
    }
    for (QemuGuest guest : List.of(g1, g2)) {
      GuestEvent done =
          guest.awaitEvent(
              e -> e.is(GuestEvent.DONE) && "udp-seq-recv".equals(e.get("workload")), RUN_TIMEOUT);
      System.out.println(guest.name() + ": " + done);

      assertThat(done.getLong("expected")).isEqualTo(COUNT);
      assertThat(done.getLong("received")).as(guest.name() + " received").isEqualTo(COUNT);
      assertThat(done.getLong("last")).isEqualTo(COUNT);
      assertThat(done.getLong("gaps")).as(guest.name() + " gaps").isZero();
      assertThat(done.getLong("dups")).as(guest.name() + " duplicates").isZero();
      assertThat(done.getLong("reorders")).as(guest.name() + " reorders").isZero();
      assertThat(done.getLong("fail")).isZero();
      assertThat(done.getLong("udp_rcvbuf_errors")).isZero();
      List<GuestEvent> reports =
          guest.events().stream()
              .filter(e -> e.is(GuestEvent.UDPSEQ) && "recv".equals(e.get("role")))
              .toList();
      assertThat(reports).as("a report every second").hasSizeGreaterThan(SECONDS - 5);
      assertThat(reports).allMatch(e -> e.getLong("gaps") == 0 && e.getLong("reorders") == 0);
      assertThat(reports.stream().mapToLong(e -> e.getLong("received")))
          .as("received only grows")
          .isSorted();
      assertThat(guest.events()).noneMatch(e -> e.is(GuestEvent.ERROR));
    }
  }

  private static GuestSpec spec(
      GuestImage image, String name, int mac, String ip, String peer, boolean server, Path sock) {
    return GuestSpec.builder(name)
        .image(image)
        .params(
            GuestParams.builder(name)
                .ip(ip + "/24")
                .peer(peer)
                .workloads(Workload.UDP_SEQ_RECV, Workload.UDP_SEQ_SEND)
                .port(PORT)
                .count(COUNT)
                .rate(RATE)
                .flow(1)
                .udpBytes(100)
                .timeoutS(60)
                .build())
        .nic(NicSpec.stream("n0", NicSpec.localMac(mac), StreamSocket.unix(sock, server)))
        .runDir(dir)
        .build();
  }
}
