package org.vccp.vnet.integration;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vccp.vnet.VirtualSwitch;
import org.vccp.vnet.config.SwitchContext;
import org.vccp.vnet.frame.EthernetFrame;
import org.vccp.vnet.port.PortAddress;
import org.vccp.vnet.port.PortSpec;
import org.vccp.vnet.status.PortCounter;
import org.vccp.vnet.testing.Await;
import org.vccp.vnet.testing.Frames;
import org.vccp.vnet.testing.StreamClient;
import org.vccp.vnet.testing.Tshark;

/**
 * The hold gate under live traffic over real sockets: a hold in the middle of a stream loses,
 * duplicates and reorders nothing, spills past its memory limit, and the recording shows each held
 * frame and its release with the same packet id.
 */
class HoldOverSocketsTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final long A = Frames.mac(0xA);
  private static final long B = Frames.mac(0xB);

  @TempDir Path dir;
  private final List<AutoCloseable> closeables = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
  }

  private <T extends AutoCloseable> T track(T c) {
    closeables.add(c);
    return c;
  }

  @Test
  void aHoldInTheMiddleOfAStreamLosesDuplicatesAndReordersNothing() throws Exception {
    SwitchContext ctx = new SwitchContext();
    ctx.name = "sw0";
    ctx.holdMemoryBytes = 64 * 1024;
    ctx.holdSpillDir = Files.createDirectories(dir.resolve("spill"));
    ctx.recordDir = dir.resolve("rec");
    ctx.ports.add(PortSpec.listen("p0", PortAddress.unix(dir.resolve("p0.sock"))));
    // lossless: a slow reader then costs the sender time, not frames, so any loss is the gate's
    ctx.ports.add(
        PortSpec.listen("p1", PortAddress.unix(dir.resolve("p1.sock"))).withLossless(true));
    VirtualSwitch sw = track(VirtualSwitch.start(ctx));
    StreamClient c0 = track(StreamClient.unix(dir.resolve("p0.sock")));
    StreamClient c1 = track(StreamClient.unix(dir.resolve("p1.sock")));
    Await.until("connected", WAIT, () -> sw.port("p0").isLinkUp() && sw.port("p1").isLinkUp());
    c1.send(Frames.frame(EthernetFrame.BROADCAST, B, 60, 0));
    assertThat(c0.receive(1, WAIT)).hasSize(1);

    int total = 20_000;
    AtomicReference<Exception> sendError = new AtomicReference<>();
    Thread sender =
        new Thread(
            () -> {
              try {
                for (int i = 1; i <= total; i++) {
                  c0.send(Frames.frame(B, A, 1000, i));
                  if (i % 500 == 0) {
                    Thread.sleep(2);
                  }
                }
              } catch (Exception e) {
                sendError.set(e);
              }
            });
    sender.start();
    Await.until(
        "traffic flowing", WAIT, () -> sw.port("p1").counters().get(PortCounter.TX_FRAMES) > 1000);
    sw.hold("p1", 1);
    Await.until(
        "frames held and spilled",
        WAIT,
        () -> sw.port("p1").counters().get(PortCounter.HELD_BYTES) > 256 * 1024);
    long heldNow = sw.heldFrames("p1").size();
    assertThat(heldNow).isGreaterThan(256);
    assertThat(spillFiles(ctx.holdSpillDir)).isEqualTo(1);
    long released = sw.release("p1");
    assertThat(released).isGreaterThanOrEqualTo(heldNow);
    sender.join(WAIT.toMillis());
    assertThat(sendError.get()).isNull();

    List<byte[]> got = c1.receive(total, WAIT);
    assertThat(got.size())
        .as(
            "frames delivered; p1 congestion drops %d, tx %d",
            sw.port("p1").counters().get(PortCounter.DROP_CONGESTION),
            sw.port("p1").counters().get(PortCounter.TX_FRAMES))
        .isEqualTo(total);
    for (int i = 0; i < total; i++) {
      assertThat(Frames.seq(got.get(i))).as("frame %d in order", i).isEqualTo(i + 1);
    }
    assertThat(c1.receive(1, Duration.ofMillis(200))).as("no duplicate").isEmpty();
    Await.until("spill file removed", WAIT, () -> spillFiles(ctx.holdSpillDir) == 0);
    sw.stopRecording();

    List<String[]> rows;
    try (Stream<Path> s = Files.list(ctx.recordDir)) {
      rows =
          Tshark.fields(
              s.findFirst().orElseThrow(),
              "frame.interface_name",
              "frame.packet_flags_direction",
              "frame.packet_id",
              "frame.comment");
    }
    List<String> heldIds = new ArrayList<>();
    List<String> releasedIds = new ArrayList<>();
    List<String> deliveredIds = new ArrayList<>();
    List<String> ingressIds = new ArrayList<>();
    for (String[] r : rows) {
      if (r[0].equals("p0") && r[1].equals("0x00000001")) {
        ingressIds.add(r[2]);
      } else if (r[0].equals("p1") && r[3].equals("vccp:held epoch=1")) {
        assertThat(r[1]).isEqualTo("0x00000000");
        heldIds.add(r[2]);
      } else if (r[0].equals("p1") && r[1].equals("0x00000002")) {
        deliveredIds.add(r[2]);
        if (r[3].equals("vccp:release epoch=1")) {
          releasedIds.add(r[2]);
        }
      }
    }
    assertThat(heldIds).hasSizeGreaterThanOrEqualTo((int) released).isEqualTo(releasedIds);
    assertThat(deliveredIds).isEqualTo(ingressIds).hasSize(total);
  }

  private static long spillFiles(Path d) {
    try (Stream<Path> s = Files.list(d)) {
      return s.count();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
