package org.vccp.vnet.record;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vccp.vnet.VirtualSwitch;
import org.vccp.vnet.config.SwitchContext;
import org.vccp.vnet.control.ControlClient;
import org.vccp.vnet.control.SwitchDaemon;
import org.vccp.vnet.frame.EthernetFrame;
import org.vccp.vnet.port.PortAddress;
import org.vccp.vnet.port.PortSpec;
import org.vccp.vnet.testing.Await;
import org.vccp.vnet.testing.Frames;
import org.vccp.vnet.testing.StreamClient;
import org.vccp.vnet.testing.Tshark;

/** The recorder behind a switch on real sockets, its pcapng files read back by tshark. */
class RecordingTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final long A = Frames.mac(0xA);
  private static final long B = Frames.mac(0xB);
  private static final String[] FIELDS = {
    "frame.interface_name",
    "frame.packet_flags_direction",
    "frame.len",
    "frame.cap_len",
    "frame.packet_id",
    "frame.comment",
    "frame.time_epoch"
  };

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

  private SwitchContext context(String... portNames) {
    SwitchContext ctx = new SwitchContext();
    ctx.name = "sw0";
    // lossless: a reader slowed by a loaded host then costs the sender time, not frames
    for (String n : portNames) {
      ctx.ports.add(
          PortSpec.listen(n, PortAddress.unix(dir.resolve(n + ".sock"))).withLossless(true));
    }
    return ctx;
  }

  private StreamClient client(VirtualSwitch sw, String port) throws IOException {
    StreamClient c = track(StreamClient.unix(dir.resolve(port + ".sock")));
    Await.until(port + " connected", WAIT, () -> sw.port(port).isLinkUp());
    return c;
  }

  private List<Path> files(Path recordDir) throws IOException {
    try (Stream<Path> s = Files.list(recordDir)) {
      return s.filter(p -> p.toString().endsWith(".pcapng")).sorted().toList();
    }
  }

  private static long count(List<String[]> rows, String iface, String direction) {
    return rows.stream().filter(r -> r[0].equals(iface) && r[1].equals(direction)).count();
  }

  private static final String IN = "0x00000001";
  private static final String OUT = "0x00000002";
  private static final String NONE = "0x00000000";

  @Test
  void tsharkSeesEveryIngressEgressAndDropWithPortsDirectionsIdsAndBytes() throws Exception {
    VirtualSwitch sw = track(VirtualSwitch.start(context("p0", "p1", "p2")));
    StreamClient c0 = client(sw, "p0");
    StreamClient c1 = client(sw, "p1");
    StreamClient c2 = client(sw, "p2");
    Path rec = dir.resolve("rec");
    RecordingStatus started = sw.startRecording(RecordingSettings.in(rec, "sw0"));
    assertThat(started.on()).isTrue();
    assertThat(started.file().getFileName().toString()).matches("sw0-[0-9a-f]{12}-000000\\.pcapng");

    byte[] hello = Frames.frame(EthernetFrame.BROADCAST, B, 60, 0);
    c1.send(hello);
    assertThat(c0.receive(1, WAIT).size()).isEqualTo(1);
    assertThat(c2.receive(1, WAIT).size()).isEqualTo(1);
    long sentBytes = 0;
    List<byte[]> toB = new ArrayList<>();
    for (int i = 1; i <= 500; i++) {
      toB.add(Frames.frame(B, A, 60 + (i * 37) % 1455, i));
    }
    toB.add(Frames.frame(B, A, 65_535, 501));
    for (byte[] f : toB) {
      sentBytes += f.length;
    }
    c0.sendAll(toB);
    for (int i = 0; i < 100; i++) {
      c2.send(Frames.frame(B, 0x0100_5E00_0001L, 60, 1000 + i));
    }
    assertThat(c1.receive(toB.size(), WAIT).size()).isEqualTo(toB.size());
    Await.until("drops counted", WAIT, () -> sw.recordingStatus().events() >= 3 + 1002 + 200);
    RecordingStatus stopped = sw.stopRecording();
    assertThat(stopped.on()).isFalse();

    assertThat(files(rec)).hasSize(1);
    List<String[]> rows = Tshark.fields(files(rec).get(0), FIELDS);
    assertThat(rows).hasSize((int) stopped.events());
    assertThat(count(rows, "p1", IN)).isEqualTo(1);
    assertThat(count(rows, "p0", OUT)).isEqualTo(1);
    assertThat(count(rows, "p2", OUT)).isEqualTo(1);
    assertThat(count(rows, "p0", IN)).isEqualTo(501);
    assertThat(count(rows, "p1", OUT)).isEqualTo(501);
    assertThat(count(rows, "p2", IN)).isEqualTo(100);
    assertThat(
            rows.stream()
                .filter(r -> r[0].equals("p2") && r[1].equals(NONE))
                .filter(r -> r[5].equals("vccp:drop reason=drop_multicast_source"))
                .count())
        .isEqualTo(100);
    assertThat(
            rows.stream()
                .filter(r -> r[0].equals("p0") && r[1].equals(IN))
                .mapToLong(r -> Long.parseLong(r[2]))
                .sum())
        .isEqualTo(sentBytes);
    List<String> inIds =
        rows.stream().filter(r -> r[0].equals("p0") && r[1].equals(IN)).map(r -> r[4]).toList();
    List<String> outIds =
        rows.stream().filter(r -> r[0].equals("p1") && r[1].equals(OUT)).map(r -> r[4]).toList();
    assertThat(outIds).isEqualTo(inIds);
    assertThat(inIds).doesNotHaveDuplicates();
    String[] jumbo = rows.stream().filter(r -> r[2].equals("65535")).findFirst().orElseThrow();
    assertThat(jumbo[1]).isEqualTo(IN);
    assertThat(jumbo[3]).isEqualTo("65535");
    // a frame's bytes are written once, in its ingress event; the egress event keeps its headers
    assertThat(rows.stream().filter(r -> r[1].equals(IN)))
        .allSatisfy(r -> assertThat(r[3]).isEqualTo(r[2]));
    assertThat(rows.stream().filter(r -> r[1].equals(OUT)))
        .allSatisfy(
            r ->
                assertThat(Integer.parseInt(r[3]))
                    .isEqualTo(
                        Math.min(
                            Integer.parseInt(r[2]), RecordingSettings.DEFAULT_EGRESS_SNAP_LEN)));
    assertThat(rows.stream().filter(r -> r[1].equals(OUT)).mapToInt(r -> Integer.parseInt(r[2])))
        .contains(65_535);
    double previous = 0;
    for (String[] r : rows) {
      double t = Double.parseDouble(r[6]);
      assertThat(t).as("timestamps never go backwards").isGreaterThanOrEqualTo(previous);
      previous = t;
    }
    assertThat(previous * 1000)
        .isCloseTo(System.currentTimeMillis(), org.assertj.core.data.Offset.offset(60_000.0));
  }

  /**
   * Starts a switch with {@code ctx} (ports p0 and p1), makes it learn p1, then sends 2,000 frames
   * of 1,000 bytes from p0 to p1 and waits until p1 has them all.
   */
  private VirtualSwitch sendTwoThousandFrames(SwitchContext ctx) throws Exception {
    VirtualSwitch sw = track(VirtualSwitch.start(ctx));
    StreamClient c0 = client(sw, "p0");
    StreamClient c1 = client(sw, "p1");
    c1.send(Frames.frame(EthernetFrame.BROADCAST, B, 60, 0));
    assertThat(c0.receive(1, WAIT).size()).isEqualTo(1);
    List<byte[]> frames = new ArrayList<>();
    for (int i = 1; i <= 2000; i++) {
      frames.add(Frames.frame(B, A, 1000, i));
    }
    c0.sendAll(frames);
    assertThat(c1.receive(2000, WAIT).size()).isEqualTo(2000);
    return sw;
  }

  @Test
  void rotatesBySizeWithoutLosingOrSplittingAnEvent() throws Exception {
    SwitchContext ctx = context("p0", "p1");
    ctx.recordDir = dir.resolve("rec");
    ctx.recordRotateBytes = 64 * 1024;
    ctx.recordSnapLen = 200;
    VirtualSwitch sw = sendTwoThousandFrames(ctx);
    sw.stopRecording();

    List<Path> files = files(ctx.recordDir);
    assertThat(files.size()).isGreaterThanOrEqualTo(6);
    String run = files.get(0).getFileName().toString().split("-")[1];
    long in = 0;
    long out = 0;
    long lastId = -1;
    for (int i = 0; i < files.size(); i++) {
      assertThat(files.get(i).getFileName().toString())
          .isEqualTo(String.format("sw0-%s-%06d.pcapng", run, i));
      for (String[] r : Tshark.fields(files.get(i), FIELDS)) {
        if (r[0].equals("p0") && r[1].equals(IN)) {
          in++;
          assertThat(r[2]).isEqualTo("1000");
          assertThat(r[3]).as("snap length").isEqualTo("200");
          long id = Long.parseLong(r[4]);
          assertThat(id).isGreaterThan(lastId);
          lastId = id;
        } else if (r[0].equals("p1") && r[1].equals(OUT)) {
          out++;
        }
      }
    }
    assertThat(in).isEqualTo(2000);
    assertThat(out).isEqualTo(2000);
  }

  /**
   * With a limit on the files kept, a rotated recording is a ring of files: the newest ones stay,
   * numbered on from the run's first, and end with the last frame; a negative limit is refused.
   */
  @Test
  void keepsOnlyTheNewestFilesOfARotatedRecording() throws Exception {
    SwitchContext ctx = context("p0", "p1");
    ctx.recordDir = dir.resolve("rec");
    ctx.recordRotateBytes = 64 * 1024;
    ctx.recordKeepFiles = 2;
    VirtualSwitch sw = sendTwoThousandFrames(ctx);
    RecordingStatus st = sw.stopRecording();

    List<Path> files = files(ctx.recordDir);
    assertThat(st.files()).as("files written").isGreaterThanOrEqualTo(6);
    assertThat(files).hasSize(2);
    String run = files.get(0).getFileName().toString().split("-")[1];
    for (int i = 0; i < 2; i++) {
      assertThat(files.get(i).getFileName().toString())
          .isEqualTo(String.format("sw0-%s-%06d.pcapng", run, st.files() - 2 + i));
    }
    long lastId = -1;
    for (Path f : files) {
      for (String[] r : Tshark.fields(f, FIELDS)) {
        if (r[0].equals("p0") && r[1].equals(IN)) {
          long id = Long.parseLong(r[4]);
          assertThat(id).isGreaterThan(lastId);
          lastId = id;
        }
      }
    }
    assertThat(lastId).as("the kept files hold ingress events").isPositive();

    assertThatThrownBy(() -> new RecordingSettings(dir, "sw0", 64 * 1024, 0, 65_535, 128, -1))
        .hasMessageContaining("--record-keep -1");
  }

  @Test
  void controlSocketStartsStopsAndMarksAndShutdownFlushesTheFile() throws Exception {
    SwitchContext ctx = context("p0", "p1");
    ctx.controlSocket = dir.resolve("ctl.sock");
    SwitchDaemon daemon = SwitchDaemon.start(ctx);
    VirtualSwitch sw = daemon.virtualSwitch();
    Path rec = dir.resolve("rec");
    try (ControlClient ctl = new ControlClient(ctx.controlSocket)) {
      JsonNode noDir =
          ctl.request(ctl.json().createObjectNode().put("cmd", "record").put("action", "start"));
      assertThat(noDir.path("ok").asBoolean()).isFalse();
      assertThat(noDir.path("error").asText()).contains("--record DIR");

      JsonNode on =
          ctl.request(
              ctl.json()
                  .createObjectNode()
                  .put("cmd", "record")
                  .put("action", "start")
                  .put("dir", rec.toString()));
      assertThat(on.path("recording").asBoolean()).isTrue();
      StreamClient c0 = client(sw, "p0");
      StreamClient c1 = client(sw, "p1");
      c1.send(Frames.frame(EthernetFrame.BROADCAST, B, 60, 0));
      assertThat(c0.receive(1, WAIT).size()).isEqualTo(1);
      JsonNode marked =
          ctl.request(
              ctl.json()
                  .createObjectNode()
                  .put("cmd", "mark")
                  .put("text", "vccp:mark epoch=1 phase=begin"));
      assertThat(marked.path("recorded").asBoolean()).isTrue();
      for (int i = 1; i <= 300; i++) {
        c0.send(Frames.frame(B, A, 100, i));
      }
      assertThat(c1.receive(300, WAIT).size()).isEqualTo(300);
    }
    daemon.close();

    List<String[]> rows = Tshark.fields(files(rec).get(0), FIELDS);
    assertThat(count(rows, "p0", IN)).isEqualTo(300);
    assertThat(count(rows, "p1", OUT)).isEqualTo(300);
    List<String[]> marks = rows.stream().filter(r -> r[0].equals("vccp")).toList();
    assertThat(marks).hasSize(1);
    assertThat(marks.get(0)[5]).isEqualTo("vccp:mark epoch=1 phase=begin");
    assertThat(rows.indexOf(marks.get(0)))
        .as("mark after the broadcast, before the 300")
        .isEqualTo(2);
  }

  @Test
  void anUnwritableDirectoryIsAnErrorAndForwardingGoesOn() throws Exception {
    VirtualSwitch sw = track(VirtualSwitch.start(context("p0", "p1")));
    Path notADir = Files.writeString(dir.resolve("plain-file"), "x");
    RecordingStatus st = sw.startRecording(RecordingSettings.in(notADir, "sw0"));
    assertThat(st.on()).isFalse();
    assertThat(st.error()).contains("plain-file").contains("exists");
    StreamClient c0 = client(sw, "p0");
    StreamClient c1 = client(sw, "p1");
    c1.send(Frames.frame(EthernetFrame.BROADCAST, B, 60, 0));
    assertThat(c0.receive(1, WAIT).size()).isEqualTo(1);
  }
}
