package org.vccp.qemu.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
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

/** One real guest at a time: the launcher's waits, its TCP listener check, stop and failure. */
@Tag("qemu")
class QemuGuestTest {

  private static GuestImage image;

  @TempDir Path dir;

  @BeforeAll
  static void needsQemu() {
    Assumptions.assumeTrue(
        QemuCommandLine.qemuAvailable(),
        "qemu-system-x86_64 is not on the PATH: install qemu-system-x86 to run real-guest tests");
    image = new GuestImageKit().build();
  }

  @Test
  void aCounterGuestListensOnTcpCountsAndStopsOnSigterm() throws IOException {
    int port;
    try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = probe.getLocalPort();
    }
    GuestSpec spec =
        GuestSpec.builder("c1")
            .image(image)
            .params(GuestParams.builder("c1").workloads(Workload.COUNTER).build())
            .nic(
                NicSpec.stream(
                    "n0", NicSpec.localMac(9), StreamSocket.tcp("127.0.0.1", port, true)))
            .serialLog(dir.resolve("c1.serial.log"))
            .build();

    try (QemuGuest guest = QemuGuest.start(spec)) {
      guest.awaitListening("n0", Duration.ofSeconds(10));
      GuestEvent fifth =
          guest.awaitEvent(
              e -> e.is(GuestEvent.COUNTER) && e.getLong("n") == 5, Duration.ofSeconds(60));

      assertThat(fifth.getLong("n")).isEqualTo(5);
      List<Long> counts =
          guest.events().stream()
              .filter(e -> e.is(GuestEvent.COUNTER))
              .map(e -> e.getLong("n"))
              .toList();
      assertThat(counts.subList(0, 5)).containsExactly(1L, 2L, 3L, 4L, 5L);
      assertThat(guest.qemuLog()).content().startsWith("# qemu-system-x86_64 -name c1 ");

      guest.stop(Duration.ofSeconds(5));

      assertThat(guest.isAlive()).isFalse();
      assertThatThrownBy(() -> guest.awaitEvent(GuestEvent.DONE, Duration.ofSeconds(30)))
          .isInstanceOf(QemuGuestException.class)
          .hasMessageContaining("guest c1: QEMU exited");
    }
  }

  @Test
  void aQemuThatCannotStartTheGuestIsReportedAtOnceWithItsOwnWords() {
    GuestSpec spec =
        GuestSpec.builder("broken")
            .image(new GuestImage(dir.resolve("no-such-vmlinuz"), image.initrd()))
            .serialLog(dir.resolve("broken.serial.log"))
            .build();

    long start = System.nanoTime();
    assertThatThrownBy(() -> QemuGuest.start(spec))
        .isInstanceOf(QemuGuestException.class)
        .hasMessageContaining("guest broken: QEMU exited with code 1 before QMP answered")
        .hasMessageContaining("no-such-vmlinuz");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(20));
  }
}
