package org.vccp.vnet.hold;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HoldQueueTest {
  @TempDir Path dir;

  private static HeldFrame frame(long i) {
    byte[] b = new byte[100 + (int) (i % 50)];
    b[0] = (byte) i;
    b[1] = (byte) (i >> 8);
    return new HeldFrame(i, "p" + (i % 3), 5, i % 2 == 0, b, offloadOf(i));
  }

  /** Every third frame a held super-frame, whose offload word must survive the spill file. */
  private static long offloadOf(long i) {
    return i % 3 == 0 ? org.vccp.vnet.frame.Offload.pack(1, 1, 1448, 34, 16) + (i << 56) : 0;
  }

  private static long pollChecked(HoldQueue q) {
    HeldFrame f = q.poll();
    assertThat(f.offload())
        .as("offload of frame %d", f.packetId())
        .isEqualTo(offloadOf(f.packetId()));
    return f.packetId();
  }

  private long spillFiles() throws Exception {
    try (Stream<Path> s = Files.list(dir)) {
      return s.count();
    }
  }

  @Test
  void pastItsMemoryLimitItSpillsToDiskAndKeepsOrderAcrossInterleavedAddsAndPolls()
      throws Exception {
    HoldQueue q = new HoldQueue("p1", 2_000, dir);
    List<Long> out = new ArrayList<>();
    long next = 0;
    for (int round = 0; round < 20; round++) {
      for (int i = 0; i < 300; i++) {
        q.add(frame(next++));
      }
      if (round == 3) {
        assertThat(spillFiles()).isEqualTo(1);
        List<HeldFrame> snap = q.snapshot();
        assertThat(snap)
            .extracting(HeldFrame::packetId)
            .containsExactlyElementsOf(range(out.size(), next));
        assertThat(snap.get(7).origin()).isEqualTo("p" + (snap.get(7).packetId() % 3));
      }
      for (int i = 0; i < 250; i++) {
        out.add(pollChecked(q));
      }
    }
    while (!q.isEmpty()) {
      out.add(pollChecked(q));
    }
    assertThat(out).containsExactlyElementsOf(range(0, next));
    assertThat(q.spilledEver()).isGreaterThan(5000);
    assertThat(q.bytes()).isZero();
    assertThat(spillFiles()).as("spill file deleted once drained").isZero();
    q.close();
  }

  @Test
  void closeDeletesTheSpillFile() throws Exception {
    HoldQueue q = new HoldQueue("p1", 1_000, dir);
    for (int i = 0; i < 100; i++) {
      q.add(frame(i));
    }
    assertThat(spillFiles()).isEqualTo(1);
    q.close();
    assertThat(spillFiles()).isZero();
    assertThat(q.isEmpty()).isTrue();
  }

  private static List<Long> range(long from, long to) {
    List<Long> l = new ArrayList<>();
    for (long i = from; i < to; i++) {
      l.add(i);
    }
    return l;
  }
}
