package org.vccp.checkpoint.verify;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.vccp.vnet.record.PcapngWriter;

/**
 * A clean VCCP recording built event by event in the documented format (docs/recording-format.md):
 * three guests g1..g3 with MAC learning broadcasts, a UDP-seq flow g1->g2, a TCP flow g3->g1 and a
 * UDP-seq flow g2->g3, a stop-the-world checkpoint of epoch 1 with holds, cuts and channel state
 * for g1 and g2, its checkpoint directory, and a run restored from it that replays the channel
 * state. Tests edit the event lists to inject one fault, then {@link #write} and run the verifier.
 */
final class RecordingFixture {
  static final String RUN1 = "aaaaaaaaaaaa";
  static final String RUN2 = "bbbbbbbbbbbb";

  enum Kind {
    IN,
    OUT,
    HELD,
    RELEASE,
    DROP,
    REPLAY,
    MARK
  }

  /** One recorded event. */
  static final class Ev {
    final Kind kind;
    final String port;
    final long id;
    final byte[] data;
    final String comment;

    /** For tests: a label like "udp12:5" naming the frame. */
    final String label;

    Ev(Kind kind, String port, long id, byte[] data, String comment, String label) {
      this.kind = kind;
      this.port = port;
      this.id = id;
      this.data = data;
      this.comment = comment;
      this.label = label;
    }

    Ev copy() {
      return new Ev(kind, port, id, data, comment, label);
    }

    @Override
    public String toString() {
      return kind + " " + port + " id " + id + " " + label;
    }
  }

  /** A channel-file entry: frame held for {@code to}, from {@code from}. */
  record Held(String to, String from, long id, byte[] data) {}

  final List<Ev> original = new ArrayList<>();
  final List<Ev> restored = new ArrayList<>();
  final List<Held> channelState = new ArrayList<>();

  /** Index in {@link #original} where the second file of the first run starts. */
  int rotateAt;

  private long nextId;
  private List<Ev> cur;
  private final Map<Ev, String[]> where = new IdentityHashMap<>();
  private final Map<Long, byte[]> dataById = new HashMap<>();
  private final Map<Long, String> fromById = new HashMap<>();

  RecordingFixture() {
    cur = original;
    for (int g = 1; g <= 3; g++) {
      byte[] b = TestFrames.raw(TestFrames.BROADCAST, g, 1000 + g);
      long id = in("g" + g, b, "bcast" + g);
      for (int q = 1; q <= 3; q++) {
        if (q != g) {
          out("g" + q, id, b, "bcast" + g);
        }
      }
    }
    rotateAt = original.size();
    int tcpSeq = 1_000_000;
    for (int n = 1; n <= 10; n += 2) {
      // g1 -> g2 in pairs: both ingresses, then both egresses, so swaps keep ingress first.
      byte[] a = TestFrames.udpSeq(1, 2, 5001, n);
      byte[] b = TestFrames.udpSeq(1, 2, 5001, n + 1);
      long ia = in("g1", a, "udp12:" + n);
      long ib = in("g1", b, "udp12:" + (n + 1));
      out("g2", ia, a, "udp12:" + n);
      out("g2", ib, b, "udp12:" + (n + 1));
      send(3, 1, TestFrames.tcpSeg(3, 1, tcpSeq, 100), "tcp31:" + tcpSeq);
      tcpSeq += 100;
    }
    for (int n = 1; n <= 5; n++) {
      send(2, 3, TestFrames.udpSeq(2, 3, 6001, n), "udp23:" + n);
    }
    // Checkpoint epoch 1, stop the world.
    mark("vccp:mark epoch=1 phase=begin");
    for (int g = 1; g <= 3; g++) {
      mark("vccp:mark epoch=1 phase=hold port=g" + g);
    }
    hold(2, 1, TestFrames.raw(TestFrames.mac(1), 2, 1), "g2->g1 before g1's cut");
    mark("vccp:mark epoch=1 phase=cut port=g1 outq=0");
    hold(2, 1, TestFrames.raw(TestFrames.mac(1), 2, 2), "g2->g1 after g1's cut");
    hold(2, 1, TestFrames.raw(TestFrames.mac(1), 2, 3), "g2->g1 drained");
    mark("vccp:mark epoch=1 phase=cut port=g2 outq=0");
    hold(3, 1, TestFrames.tcpSeg(3, 1, tcpSeq, 100), "tcp31:" + tcpSeq);
    tcpSeq += 100;
    hold(3, 2, TestFrames.raw(TestFrames.mac(2), 3, 4), "g3->g2 drained");
    mark("vccp:mark epoch=1 phase=cut port=g3 outq=0");
    mark("vccp:mark epoch=1 phase=snapshot");
    mark("vccp:mark epoch=1 phase=commit");
    for (int g = 1; g <= 3; g++) {
      mark("vccp:mark epoch=1 phase=resume port=g" + g);
    }
    for (Held h : channelState) {
      if (h.to.equals("g1")) {
        release("g1", h.id, h.data);
      }
    }
    mark("vccp:mark epoch=1 phase=release port=g1 frames=4");
    for (Held h : channelState) {
      if (h.to.equals("g2")) {
        release("g2", h.id, h.data);
      }
    }
    mark("vccp:mark epoch=1 phase=release port=g2 frames=1");
    int afterSeq = tcpSeq;
    for (int n = 11; n <= 15; n++) {
      send(1, 2, TestFrames.udpSeq(1, 2, 5001, n), "udp12:" + n);
      send(3, 1, TestFrames.tcpSeg(3, 1, tcpSeq, 100), "tcp31:" + tcpSeq);
      tcpSeq += 100;
    }

    // The run restored from epoch 1: replays first, then the guests go on from the cut.
    cur = restored;
    nextId = 0;
    mark("vccp:mark epoch=1 phase=restore");
    for (Held h : channelState) {
      Ev e =
          new Ev(
              Kind.REPLAY,
              h.to,
              nextId++,
              h.data,
              "vccp:replay epoch=1 from=" + h.from + " id=" + h.id,
              "replay:" + h.id);
      restored.add(e);
    }
    mark("vccp:mark epoch=1 phase=release port=g1 frames=4");
    for (int g = 1; g <= 3; g++) {
      long id = in("g" + g, TestFrames.raw(TestFrames.BROADCAST, g, 2000 + g), "rbcast" + g);
      for (int q = 1; q <= 3; q++) {
        if (q != g) {
          out("g" + q, id, TestFrames.raw(TestFrames.BROADCAST, g, 2000 + g), "rbcast" + g);
        }
      }
    }
    send(2, 1, TestFrames.raw(TestFrames.mac(1), 2, 5), "g2->g1 new");
    tcpSeq = afterSeq;
    for (int n = 11; n <= 13; n++) {
      send(1, 2, TestFrames.udpSeq(1, 2, 5001, n), "udp12:" + n);
      send(3, 1, TestFrames.tcpSeg(3, 1, tcpSeq, 100), "tcp31:" + tcpSeq);
      tcpSeq += 100;
    }
  }

  private long in(String port, byte[] data, String label) {
    long id = nextId++;
    cur.add(new Ev(Kind.IN, port, id, data, null, label));
    return id;
  }

  private void out(String port, long id, byte[] data, String label) {
    cur.add(new Ev(Kind.OUT, port, id, data, null, label));
  }

  private void send(int a, int b, byte[] data, String label) {
    long id = in("g" + a, data, label);
    out("g" + b, id, data, label);
  }

  private void hold(int a, int b, byte[] data, String label) {
    long id = in("g" + a, data, label);
    cur.add(new Ev(Kind.HELD, "g" + b, id, data, "vccp:held epoch=1", label));
    channelState.add(new Held("g" + b, "g" + a, id, data));
  }

  private void release(String port, long id, byte[] data) {
    cur.add(new Ev(Kind.RELEASE, port, id, data, "vccp:release epoch=1", "release:" + id));
  }

  private void mark(String text) {
    cur.add(new Ev(Kind.MARK, "vccp", -1, text.getBytes(StandardCharsets.UTF_8), text, text));
  }

  // ---- finding events -------------------------------------------------------------------

  static int index(List<Ev> events, Predicate<Ev> p) {
    for (int i = 0; i < events.size(); i++) {
      if (p.test(events.get(i))) {
        return i;
      }
    }
    throw new IllegalArgumentException("no such event");
  }

  static Predicate<Ev> is(Kind kind, String label) {
    return e -> e.kind == kind && e.label.equals(label);
  }

  static Predicate<Ev> is(Kind kind, String port, String label) {
    return e -> e.kind == kind && e.port.equals(port) && e.label.equals(label);
  }

  /** File name and 1-based frame number of an event, after {@link #write}. */
  String fileOf(Ev e) {
    return where.get(e)[0];
  }

  long frameOf(Ev e) {
    return Long.parseLong(where.get(e)[1]);
  }

  // ---- writing ----------------------------------------------------------------------------

  /** Writes the recordings into {@code dir/rec} and the checkpoint into {@code dir/ckpt-000001}. */
  void write(Path dir) throws IOException {
    where.clear();
    Path rec = Files.createDirectories(dir.resolve("rec"));
    writeRun(rec, RUN1, 0, original.subList(0, rotateAt), 1_800_000_000_000_000_000L);
    writeRun(
        rec,
        RUN1,
        1,
        original.subList(rotateAt, original.size()),
        1_800_000_000_000_000_000L + rotateAt * 1000L);
    writeRun(rec, RUN2, 0, restored, 1_800_000_100_000_000_000L);
    Path ckpt = Files.createDirectories(dir.resolve("ckpt-000001"));
    Map<String, List<Held>> byPort = new LinkedHashMap<>();
    for (Held h : channelState) {
      byPort.computeIfAbsent(h.to, k -> new ArrayList<>()).add(h);
    }
    StringBuilder channels = new StringBuilder();
    for (Map.Entry<String, List<Held>> e : byPort.entrySet()) {
      String file = "channel-" + e.getKey() + ".pcapng";
      try (PcapngWriter w = writer(ckpt.resolve(file))) {
        w.writeSectionHeader("vccp test", "vccp-channel epoch=1 port=" + e.getKey());
        Map<String, Integer> ifs = new HashMap<>();
        long ts = 1_800_000_050_000_000_000L;
        for (Held h : e.getValue()) {
          int iface =
              ifs.computeIfAbsent(
                  h.from, n -> w.addInterface(n, null, PcapngWriter.LINKTYPE_ETHERNET, 65535));
          w.writePacket(
              iface,
              ts++,
              h.data,
              0,
              h.data.length,
              h.data.length,
              PcapngWriter.FLAGS_INBOUND,
              h.id,
              "vccp:channel epoch=1 to=" + e.getKey());
        }
      }
      if (channels.length() > 0) {
        channels.append(",\n");
      }
      channels.append(
          "    {\"port\": \""
              + e.getKey()
              + "\", \"file\": \""
              + file
              + "\", \"frames\": "
              + e.getValue().size()
              + ", \"bytes\": 0, \"sha256\": \"\"}");
    }
    Files.writeString(
        ckpt.resolve("MANIFEST.json"),
        "{\n  \"format\": \"vccp-checkpoint/1\",\n  \"epoch\": 1,\n  \"mode\": \"stop-the-world\",\n"
            + "  \"createdAt\": \"2027-01-15T08:00:50Z\",\n  \"downtimeNs\": 1000000,\n"
            + "  \"recording\": {\"switch\": \"sw0\", \"run\": \""
            + RUN1
            + "\"},\n"
            + "  \"guests\": [],\n  \"channels\": [\n"
            + channels
            + "\n  ]\n}\n");
  }

  private static PcapngWriter writer(Path file) throws IOException {
    return new PcapngWriter(
        FileChannel.open(
            file,
            StandardOpenOption.CREATE,
            StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING),
        1 << 16);
  }

  private void writeRun(Path dir, String run, int index, List<Ev> events, long startNs)
      throws IOException {
    String name = String.format("sw0-%s-%06d.pcapng", run, index);
    Path file = dir.resolve(name);
    try (PcapngWriter w = writer(file)) {
      w.writeSectionHeader(
          "vccp test",
          String.format(
              "vccp-recording run=%s index=%06d switch=sw0 started=%s",
              run, index, run.equals(RUN1) ? "2027-01-15T08:00:00Z" : "2027-01-15T08:01:40Z"));
      Map<String, Integer> ifs = new HashMap<>();
      long ts = startNs;
      long frame = 0;
      for (Ev e : events) {
        int iface =
            ifs.computeIfAbsent(
                e.port,
                n ->
                    n.equals("vccp")
                        ? w.addInterface(
                            "vccp", "VCCP checkpoint marks", PcapngWriter.LINKTYPE_USER0, 65535)
                        : w.addInterface(
                            n,
                            n + ",listen=unix:/tmp/" + n + ".sock",
                            PcapngWriter.LINKTYPE_ETHERNET,
                            65535));
        int flags =
            switch (e.kind) {
              case IN -> PcapngWriter.FLAGS_INBOUND;
              case OUT, RELEASE, REPLAY -> PcapngWriter.FLAGS_OUTBOUND;
              case HELD, DROP -> PcapngWriter.FLAGS_NOT_DELIVERED;
              case MARK -> -1;
            };
        w.writePacket(iface, ts, e.data, 0, e.data.length, e.data.length, flags, e.id, e.comment);
        ts += 1000;
        where.put(e, new String[] {file.toString(), Long.toString(++frame)});
      }
    }
  }
}
