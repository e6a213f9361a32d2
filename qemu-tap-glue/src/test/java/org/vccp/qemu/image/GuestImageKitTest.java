package org.vccp.qemu.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vccp.qemu.guest.GuestSpec;
import org.vccp.qemu.guest.NicSpec;
import org.vccp.qemu.guest.QemuCommandLine;
import org.vccp.qemu.guest.QemuGuest;
import org.vccp.qemu.guest.StreamSocket;

/**
 * Builds the guest image from the apt mirror into an empty cache, hits and repairs it, and boots
 * the result to READY.
 */
@Tag("qemu")
class GuestImageKitTest {

  @TempDir Path cacheHome;
  @TempDir Path runDir;

  @BeforeAll
  static void needsQemu() {
    Assumptions.assumeTrue(
        QemuCommandLine.qemuAvailable(),
        "qemu-system-x86_64 is not on the PATH: install qemu-system-x86 to run real-guest tests");
  }

  @Test
  void buildsOnceThenHitsTheCacheAndRebuildsACorruptOne() throws IOException {
    GuestImageKit kit = new GuestImageKit(cacheHome);
    assertThat(kit.cacheDir()).isEqualTo(cacheHome.resolve("vccp/guest-image"));

    long coldStart = System.nanoTime();
    GuestImage image = kit.build();
    long coldMs = (System.nanoTime() - coldStart) / 1_000_000;

    assertThat(image.kernel()).startsWith(kit.cacheDir()).isRegularFile();
    assertThat(image.initrd()).startsWith(kit.cacheDir()).isRegularFile();
    assertThat(Files.size(image.kernel())).isGreaterThan(4_000_000);
    Path dir = image.kernel().getParent();
    assertThat(dir.resolve("SHA256SUMS")).content().contains("vmlinuz", "initramfs.cpio.gz");
    assertThat(dir.resolve("inputs.txt")).content().contains("linux-image-cloud-amd64=");
    try (var entries = Files.list(kit.cacheDir())) {
      assertThat(entries.map(p -> p.getFileName().toString()))
          .noneMatch(n -> n.startsWith(".build-"));
    }

    String archive = gunzipAsText(image.initrd());
    assertThat(archive).startsWith("070701"); // newc magic
    assertThat(archive).contains("init", "bin/busybox", "lib/modules/load-order");
    for (String module : GuestImageKit.VIRTIO_MODULES) {
      assertThat(archive).contains("lib/modules/" + module + ".ko");
    }
    assertThat(archive).contains(GuestImageKit.initScript());
    assertThat(Files.size(image.initrd())).isBetween(500_000L, 4_000_000L);

    FileTime kernelTime = Files.getLastModifiedTime(image.kernel());
    long warmStart = System.nanoTime();
    GuestImage again = kit.build();
    long warmMs = (System.nanoTime() - warmStart) / 1_000_000;
    assertThat(again).isEqualTo(image);
    assertThat(Files.getLastModifiedTime(again.kernel())).isEqualTo(kernelTime);
    assertThat(kit.cached()).contains(image);
    assertThat(warmMs).isLessThan(coldMs);
    System.out.printf("guest image: cold build %d ms, warm build %d ms%n", coldMs, warmMs);

    // one flipped byte in the initramfs: detected, and the next build repairs it, byte for byte
    String sums = Files.readString(dir.resolve("SHA256SUMS"));
    try (var channel = Files.newByteChannel(image.initrd(), StandardOpenOption.WRITE)) {
      channel.position(1000).write(ByteBuffer.wrap(new byte[] {0x55}));
    }
    assertThat(kit.cached()).isEmpty();
    GuestImage repaired = kit.build();
    assertThat(repaired).isEqualTo(image);
    assertThat(kit.cached()).contains(repaired);
    assertThat(dir.resolve("SHA256SUMS")).as("the build is reproducible").hasContent(sums);
    assertThat(gunzipAsText(repaired.initrd())).contains(GuestImageKit.initScript());

    // and what came out of the empty cache boots to READY with its network up
    GuestSpec spec =
        GuestSpec.builder("k1")
            .image(repaired)
            .params(GuestParams.builder("k1").ip("10.0.9.1/24").build())
            .nic(
                NicSpec.stream(
                    "n0",
                    NicSpec.localMac(0x91),
                    StreamSocket.unix(runDir.resolve("k1.sock"), true)))
            .runDir(runDir)
            .build();
    try (QemuGuest guest = QemuGuest.start(spec)) {
      GuestEvent ready = guest.awaitEvent(GuestEvent.READY, Duration.ofSeconds(90));
      assertThat(ready.get("name")).isEqualTo("k1");
      assertThat(ready.get("ip")).isEqualTo("10.0.9.1/24");
      assertThat(ready.get("mac")).isEqualTo(NicSpec.localMac(0x91));
      assertThat(guest.events()).noneMatch(e -> e.is(GuestEvent.ERROR));
      assertThat(guest.qmp().queryStatus()).isEqualTo("running");
      System.out.printf(
          "fresh image booted to READY in %d ms%n",
          guest
              .sinceStart(guest.awaitSerialLine(l -> l.startsWith("VCCP READY"), Duration.ZERO))
              .toMillis());
    }
  }

  private static String gunzipAsText(Path gz) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (InputStream in = new GZIPInputStream(Files.newInputStream(gz))) {
      in.transferTo(out);
    }
    return out.toString(StandardCharsets.ISO_8859_1);
  }
}
