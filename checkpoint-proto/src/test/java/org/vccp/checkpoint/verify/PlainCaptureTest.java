package org.vccp.checkpoint.verify;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vccp.checkpoint.verify.capture.CaptureBytes;
import org.vccp.vnet.record.PcapngWriter;

/**
 * Plain captures, one per tap (tap1 classic pcap, tap2 and tap3 pcapng), matched by content: a
 * clean exchange passes; a missing, repeated or swapped delivery is found with the right channel
 * and frame numbers.
 */
class PlainCaptureTest {
  @TempDir Path dir;

  /** One frame seen on one tap at one time. */
  record Seen(int tap, long ts, byte[] data, String label) {}

  private final List<Seen> seen = new ArrayList<>();
  private long t = 1_700_000_000_000_000L;

  /** Guest a sends; the frame shows on tap a, then on each receiving tap 20 us later. */
  private void send(int a, byte[] data, String label, int... to) {
    t += 100_000;
    seen.add(new Seen(a, t, data, label));
    for (int q : to) {
      seen.add(new Seen(q, t + 20_000, data, label));
    }
  }

  private void cleanExchange() {
    for (int g = 1; g <= 3; g++) {
      int[] others = g == 1 ? new int[] {2, 3} : g == 2 ? new int[] {1, 3} : new int[] {1, 2};
      send(g, TestFrames.raw(TestFrames.BROADCAST, g, g), "bcast" + g, others);
    }
    for (int n = 1; n <= 8; n++) {
      send(1, TestFrames.udpSeq(1, 2, 7000, n), "udp:" + n, 2);
      send(3, TestFrames.tcpSeg(3, 1, 5000 + 100 * n, 100), "tcp:" + n, 1);
    }
  }

  private List<Seen> onTap(int tap) {
    return seen.stream()
        .filter(s -> s.tap == tap)
        .sorted((x, y) -> Long.compare(x.ts, y.ts))
        .toList();
  }

  private long frameOf(int tap, String label) {
    List<Seen> l = onTap(tap);
    for (int i = 0; i < l.size(); i++) {
      if (l.get(i).label.equals(label)) {
        return i + 1;
      }
    }
    throw new IllegalArgumentException(label);
  }

  private VerifyReport verify() throws IOException {
    CaptureBytes pcap = new CaptureBytes().pcapHeader(ByteOrder.LITTLE_ENDIAN, false, 65535, 1);
    for (Seen s : onTap(1)) {
      pcap.pcapRecord(s.ts / 1_000_000_000L, (s.ts % 1_000_000_000L) / 1000, s.data, s.data.length);
    }
    Files.write(dir.resolve("tap1.pcap"), pcap.bytes());
    for (int tap = 2; tap <= 3; tap++) {
      try (PcapngWriter w =
          new PcapngWriter(
              FileChannel.open(
                  dir.resolve("tap" + tap + ".pcapng"),
                  StandardOpenOption.CREATE_NEW,
                  StandardOpenOption.WRITE),
              1 << 16)) {
        w.writeSectionHeader("tcpdump", null);
        int i = w.addInterface("tap" + tap, null, PcapngWriter.LINKTYPE_ETHERNET, 262144);
        for (Seen s : onTap(tap)) {
          w.writePacket(i, s.ts, s.data, 0, s.data.length, s.data.length, -1, -1, (String) null);
        }
      }
    }
    VerifyContext ctx = new VerifyContext();
    ctx.inputs.add(dir);
    ctx.graceNs = 0;
    return Verifier.run(ctx, null);
  }

  private static Finding only(VerifyReport r, String check, String kind) {
    List<Finding> l =
        r.findings().list().stream()
            .filter(x -> x.check().equals(check) && x.kind().equals(kind))
            .toList();
    assertThat(l).as(check + "/" + kind + " in " + r.findings().list()).hasSize(1);
    return l.get(0);
  }

  @Test
  void cleanCapturesPass() throws IOException {
    cleanExchange();
    VerifyReport r = verify();
    assertThat(r.findings().list()).isEmpty();
    assertThat(r.exitStatus()).isZero();
    assertThat(r.channels())
        .filteredOn(c -> c.name().equals("tap1->tap2"))
        .singleElement()
        .satisfies(c -> assertThat(c.delivered()).isEqualTo(9));
    assertThat(r.udpFlows).isEqualTo(2);
    assertThat(r.tcpFlows).isEqualTo(2);
  }

  @Test
  void missingDeliveryIsLost() throws IOException {
    cleanExchange();
    seen.removeIf(s -> s.tap == 2 && s.label.equals("udp:4"));
    VerifyReport r = verify();
    Finding x = only(r, "channel", "lost");
    assertThat(x.channel()).isEqualTo("tap1->tap2");
    assertThat(x.frames().get(0).file()).endsWith("tap1.pcap");
    assertThat(x.frames().get(0).frame()).isEqualTo(frameOf(1, "udp:4"));
    assertThat(only(r, "udp", "gap").flow()).endsWith("tap2:egress");
    assertThat(r.exitStatus()).isEqualTo(1);
  }

  @Test
  void repeatedDeliveryIsADuplicate() throws IOException {
    cleanExchange();
    Seen first = seen.stream().filter(s -> s.tap == 2 && s.label.equals("udp:5")).findFirst().get();
    seen.add(new Seen(2, first.ts + 1_000, first.data, "udp:5 again"));
    VerifyReport r = verify();
    Finding x = only(r, "channel", "duplicate");
    assertThat(x.channel()).isEqualTo("tap1->tap2");
    assertThat(x.frames().get(0).file()).endsWith("tap2.pcapng");
    assertThat(x.frames().get(0).frame()).isEqualTo(frameOf(2, "udp:5 again"));
    assertThat(x.frames().get(1).frame()).isEqualTo(frameOf(2, "udp:5"));
  }

  @Test
  void swappedDeliveriesAreReordered() throws IOException {
    cleanExchange();
    int a = -1;
    int b = -1;
    for (int i = 0; i < seen.size(); i++) {
      if (seen.get(i).tap == 3 || seen.get(i).tap == 1) {
        continue;
      }
      if (seen.get(i).label.equals("udp:2")) {
        a = i;
      } else if (seen.get(i).label.equals("udp:3")) {
        b = i;
      }
    }
    Seen sa = seen.get(a);
    Seen sb = seen.get(b);
    // The switch holds udp:2 back and delivers it just after udp:3.
    seen.set(a, new Seen(2, sb.ts - 1_000, sb.data, sb.label));
    seen.set(b, new Seen(2, sb.ts, sa.data, sa.label));
    VerifyReport r = verify();
    Finding x = only(r, "channel", "reordered");
    assertThat(x.channel()).isEqualTo("tap1->tap2");
    assertThat(x.frames().get(0).frame()).isEqualTo(frameOf(2, "udp:2"));
    assertThat(x.frames().get(1).frame()).isEqualTo(frameOf(2, "udp:3"));
    assertThat(x.frames().get(2).file()).endsWith("tap1.pcap");
  }
}
