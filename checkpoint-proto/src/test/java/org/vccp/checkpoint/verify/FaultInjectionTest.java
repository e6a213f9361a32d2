package org.vccp.checkpoint.verify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vccp.checkpoint.verify.RecordingFixture.index;
import static org.vccp.checkpoint.verify.RecordingFixture.is;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vccp.checkpoint.verify.RecordingFixture.Ev;
import org.vccp.checkpoint.verify.RecordingFixture.Kind;

/**
 * A clean recording (3 ports, a checkpoint with marks, channel files and manifest, a restored run
 * with replays, TCP and UDP-seq flows) passes; one fault of each class is then injected and must be
 * reported with its channel and frame numbers.
 */
class FaultInjectionTest {
  @TempDir Path dir;

  private VerifyReport verify(RecordingFixture f) throws IOException {
    f.write(dir);
    VerifyContext ctx = new VerifyContext();
    ctx.inputs.add(dir.resolve("rec"));
    ctx.checkpoints.add(dir.resolve("ckpt-000001"));
    ctx.graceNs = 0;
    return Verifier.run(ctx, null);
  }

  private static List<Finding> errors(VerifyReport r) {
    return r.findings().list().stream().filter(x -> x.severity() == Severity.ERROR).toList();
  }

  private static Finding only(VerifyReport r, String check, String kind) {
    List<Finding> l =
        r.findings().list().stream()
            .filter(x -> x.check().equals(check) && x.kind().equals(kind))
            .toList();
    assertThat(l).as(check + "/" + kind + " in " + r.findings().list()).hasSize(1);
    return l.get(0);
  }

  private static void assertFrame(Finding x, int i, RecordingFixture f, Ev e) {
    assertThat(x.frames().get(i).file()).isEqualTo(f.fileOf(e));
    assertThat(x.frames().get(i).frame()).isEqualTo(f.frameOf(e));
  }

  @Test
  void cleanRecordingPasses() throws IOException {
    VerifyReport r = verify(new RecordingFixture());
    assertThat(r.findings().list()).isEmpty();
    assertThat(r.exitStatus()).isZero();
    assertThat(r.checkpointsChecked).isEqualTo(1);
    assertThat(r.restoresChecked).isEqualTo(1);
    assertThat(r.replays).isEqualTo(5);
    assertThat(r.runs).isEqualTo(2);
    assertThat(r.tcpFlows).isPositive();
    assertThat(r.udpFlows).isPositive();
    ChannelStats g12 =
        r.channels().stream().filter(c -> c.name().equals("g1->g2")).findFirst().orElseThrow();
    assertThat(g12.delivered()).isEqualTo(15 + 1 + 3 + 1);
    assertThat(g12.lost()).isZero();
  }

  @Test
  void lostFrame() throws IOException {
    RecordingFixture f = new RecordingFixture();
    f.original.remove(index(f.original, is(Kind.OUT, "udp12:5")));
    VerifyReport r = verify(f);
    Finding x = only(r, "channel", "lost");
    assertThat(x.channel()).isEqualTo("g1->g2");
    assertFrame(x, 0, f, f.original.get(index(f.original, is(Kind.IN, "udp12:5"))));
    assertThat(x.frames().get(0).packetId()).isGreaterThanOrEqualTo(0);
    assertThat(r.exitStatus()).isEqualTo(1);
  }

  @Test
  void duplicateFrame() throws IOException {
    RecordingFixture f = new RecordingFixture();
    int i = index(f.original, is(Kind.OUT, "udp12:7"));
    Ev dup = f.original.get(i).copy();
    f.original.add(i + 3, dup);
    VerifyReport r = verify(f);
    Finding x = only(r, "channel", "duplicate");
    assertThat(x.channel()).isEqualTo("g1->g2");
    assertFrame(x, 0, f, dup);
    assertFrame(x, 1, f, f.original.get(index(f.original, is(Kind.IN, "udp12:7"))));
    assertThat(r.exitStatus()).isEqualTo(1);
  }

  @Test
  void swappedFramesOnOneChannel() throws IOException {
    RecordingFixture f = new RecordingFixture();
    int a = index(f.original, is(Kind.OUT, "udp12:3"));
    int b = index(f.original, is(Kind.OUT, "udp12:4"));
    Ev ea = f.original.get(a);
    Ev eb = f.original.get(b);
    f.original.set(a, eb);
    f.original.set(b, ea);
    VerifyReport r = verify(f);
    Finding x = only(r, "channel", "reordered");
    assertThat(x.channel()).isEqualTo("g1->g2");
    assertFrame(x, 0, f, ea);
    assertFrame(x, 1, f, eb);
    assertThat(only(r, "udp", "reordered").flow()).contains("g2:egress");
  }

  @Test
  void orphanAcrossACut() throws IOException {
    RecordingFixture f = new RecordingFixture();
    int cutG1 = index(f.original, e -> e.label.contains("phase=cut port=g1"));
    byte[] data = TestFrames.raw(TestFrames.mac(2), 1, 77);
    Ev in = new Ev(Kind.IN, "g1", 9_999, data, null, "orphan");
    Ev out = new Ev(Kind.OUT, "g2", 9_999, data, null, "orphan");
    f.original.add(cutG1 + 1, in);
    f.original.add(cutG1 + 2, out);
    VerifyReport r = verify(f);
    Finding x = only(r, "checkpoint", "orphan");
    assertThat(x.channel()).isEqualTo("g1->g2");
    assertThat(x.epoch()).isEqualTo(1);
    assertFrame(x, 0, f, out);
    assertFrame(x, 1, f, in);
    assertThat(r.exitStatus()).isEqualTo(1);
  }

  @Test
  void channelStateFrameNotReplayed() throws IOException {
    RecordingFixture f = new RecordingFixture();
    f.restored.remove(index(f.restored, e -> e.kind == Kind.REPLAY && e.port.equals("g1")));
    VerifyReport r = verify(f);
    Finding x = only(r, "restore", "not-replayed");
    assertThat(x.channel()).isEqualTo("g2->g1");
    assertThat(x.frames().get(0).file()).endsWith("channel-g1.pcapng");
    assertThat(x.frames().get(0).frame()).isEqualTo(1);
    assertThat(r.exitStatus()).isEqualTo(1);
  }

  @Test
  void channelStateFrameReplayedTwice() throws IOException {
    RecordingFixture f = new RecordingFixture();
    int i =
        index(
            f.restored,
            e -> e.kind == Kind.REPLAY && e.label.contains("tcp") == false && e.port.equals("g2"));
    Ev again = f.restored.get(i).copy();
    f.restored.add(i + 1, again);
    VerifyReport r = verify(f);
    Finding x = only(r, "restore", "replayed-twice");
    assertThat(x.channel()).isEqualTo("g3->g2");
    assertFrame(x, 0, f, again);
    assertFrame(x, 1, f, f.restored.get(i));
    assertThat(x.frames().get(2).file()).endsWith("channel-g2.pcapng");
  }

  @Test
  void channelStateFrameReplayedAfterANewerFrame() throws IOException {
    RecordingFixture f = new RecordingFixture();
    int newIn = index(f.restored, is(Kind.IN, "g2->g1 new"));
    Ev in = f.restored.remove(newIn);
    Ev out = f.restored.remove(index(f.restored, is(Kind.OUT, "g2->g1 new")));
    int lastG2Replay = -1;
    for (int i = 0; i < f.restored.size(); i++) {
      Ev e = f.restored.get(i);
      if (e.kind == Kind.REPLAY && e.comment.contains("from=g2")) {
        lastG2Replay = i;
      }
    }
    Ev late = f.restored.get(lastG2Replay);
    f.restored.add(lastG2Replay, out);
    f.restored.add(lastG2Replay, in);
    VerifyReport r = verify(f);
    Finding x = only(r, "restore", "replayed-after-newer");
    assertThat(x.channel()).isEqualTo("g2->g1");
    assertFrame(x, 0, f, late);
    assertFrame(x, 1, f, out);
    assertThat(r.exitStatus()).isEqualTo(1);
  }

  @Test
  void tcpHole() throws IOException {
    RecordingFixture f = new RecordingFixture();
    f.original.removeIf(e -> e.label.equals("tcp31:1000300"));
    VerifyReport r = verify(f);
    List<Finding> holes =
        r.findings().list().stream().filter(x -> x.kind().equals("hole")).toList();
    assertThat(holes)
        .extracting(Finding::flow)
        .containsExactlyInAnyOrder(
            "10.0.0.3:40000 > 10.0.0.1:80 tcp at g3:ingress",
            "10.0.0.3:40000 > 10.0.0.1:80 tcp at g1:egress");
    Ev next = f.original.get(index(f.original, is(Kind.OUT, "tcp31:1000400")));
    Finding atEgress = holes.stream().filter(x -> x.flow().endsWith("egress")).findFirst().get();
    assertFrame(atEgress, 0, f, next);
    assertThat(atEgress.message()).contains("1000300..1000399");
    assertThat(r.findings().count("channel", "lost")).isZero();
    assertThat(r.exitStatus()).isEqualTo(1);
  }

  @Test
  void udpSequenceGap() throws IOException {
    RecordingFixture f = new RecordingFixture();
    f.original.removeIf(e -> e.label.equals("udp23:3"));
    VerifyReport r = verify(f);
    List<Finding> gaps = r.findings().list().stream().filter(x -> x.kind().equals("gap")).toList();
    assertThat(gaps).hasSize(2);
    Finding atEgress = gaps.stream().filter(x -> x.flow().endsWith("g3:egress")).findFirst().get();
    assertThat(atEgress.message()).startsWith("sequence 3 never seen");
    assertFrame(atEgress, 0, f, f.original.get(index(f.original, is(Kind.OUT, "udp23:4"))));
    assertThat(r.exitStatus()).isEqualTo(1);
  }

  @Test
  void channelFileMissingAHeldFrameIsLostAtCheckpoint() throws IOException {
    RecordingFixture f = new RecordingFixture();
    RecordingFixture.Held gone = f.channelState.remove(1);
    VerifyReport r = verify(f);
    Finding x = only(r, "checkpoint", "lost-at-checkpoint");
    assertThat(x.channel()).isEqualTo("g2->g1");
    assertFrame(
        x, 0, f, f.original.get(index(f.original, e -> e.kind == Kind.HELD && e.id == gone.id())));
    assertThat(errors(r))
        .allMatch(e -> e.check().equals("checkpoint") || e.check().equals("restore"));
  }

  @Test
  void framesAtTheEndOfARunAreInFlightNotLost() throws IOException {
    RecordingFixture f = new RecordingFixture();
    f.restored.remove(index(f.restored, is(Kind.OUT, "udp12:13")));
    f.write(dir);
    VerifyContext ctx = new VerifyContext();
    ctx.inputs.add(dir.resolve("rec"));
    ctx.graceNs = 5_000_000; // 5 ms: the fixture's events are 1 us apart
    VerifyReport r = Verifier.run(ctx, null);
    assertThat(r.findings().count("channel", "lost")).isZero();
    assertThat(r.channels()).anyMatch(c -> c.inFlight() == 1);
    ctx.graceNs = 0;
    assertThat(Verifier.run(ctx, null).findings().count("channel", "lost")).isEqualTo(1);
  }
}
