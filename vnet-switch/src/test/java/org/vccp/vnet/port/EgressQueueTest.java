package org.vccp.vnet.port;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.vccp.vnet.testing.Frames;

/** The egress byte ring: FIFO across wrap-around, bounded, and safe between two threads. */
class EgressQueueTest {
  @Test
  void keepsFramesInOrderAcrossManyWrapsAndRefusesWhenFull() {
    EgressQueue q = new EgressQueue(128 * 1024);
    Random rnd = new Random(42);
    ArrayDeque<byte[]> expected = new ArrayDeque<>();
    long seq = 0;
    int refused = 0;
    for (int round = 0; round < 20_000; round++) {
      if (rnd.nextInt(3) != 0) {
        byte[] f = Frames.frame(1, 2, 14 + rnd.nextInt(9000), seq);
        if (q.offer(f, f.length, false, -1, 0, -1)) {
          expected.add(f);
          seq++;
        } else {
          refused++;
          assertThat(q.bytesQueued()).isGreaterThan(q.capacityBytes() - 2 * 9020);
        }
      } else {
        int limit = 1 + rnd.nextInt(5);
        q.drain(
            (buf, off, len, id, from) -> {
              byte[] want = expected.poll();
              assertThat(Arrays.equals(buf, off, off + len, want, 0, want.length)).isTrue();
              return true;
            },
            limit);
      }
    }
    assertThat(refused).isPositive();
    q.discardAll(new UnsentFrames());
    assertThat(q.isEmpty()).isTrue();
  }

  @Test
  void aHandlerThatStopsLeavesTheFrameQueued() {
    EgressQueue q = new EgressQueue(128 * 1024);
    byte[] a = Frames.frame(1, 2, 100, 1);
    byte[] b = Frames.frame(1, 2, 100, 2);
    q.offer(a, a.length, false, -1, 0, -1);
    q.offer(b, b.length, false, -1, 0, -1);
    assertThat(q.drain((buf, off, len, id, from) -> false, 10)).isZero();
    long[] seqs = new long[2];
    int[] i = {0};
    assertThat(
            q.drain(
                (buf, off, len, id, from) -> {
                  seqs[i[0]++] = Frames.seq(Arrays.copyOfRange(buf, off, off + len));
                  return true;
                },
                10))
        .isEqualTo(2);
    assertThat(seqs).containsExactly(1, 2);
  }

  @Test
  void producerAndConsumerThreadsSeeEveryFrameOnceInOrder() throws Exception {
    EgressQueue q = new EgressQueue(128 * 1024);
    int n = 300_000;
    AtomicLong next = new AtomicLong();
    Thread consumer =
        new Thread(
            () -> {
              while (next.get() < n) {
                q.drain(
                    (buf, off, len, id, from) -> {
                      long s = Frames.seq(Arrays.copyOfRange(buf, off, off + len));
                      if (s != next.get()) {
                        throw new AssertionError("expected " + next.get() + " got " + s);
                      }
                      next.incrementAndGet();
                      return true;
                    },
                    64);
              }
            });
    consumer.start();
    Random rnd = new Random(7);
    for (long s = 0; s < n; ) {
      byte[] f = Frames.frame(1, 2, 60 + rnd.nextInt(1500), s);
      if (q.offer(f, f.length, false, -1, 0, -1)) {
        s++;
      } else {
        Thread.onSpinWait();
      }
    }
    consumer.join(30_000);
    assertThat(next.get()).isEqualTo(n);
  }

  @Test
  void eachFrameKeepsItsPacketIdAndIngressPortAndDiscardNamesThem() {
    EgressQueue q = new EgressQueue(128 * 1024);
    for (int n = 0; n < 5; n++) {
      byte[] f = Frames.frame(1, 2, 60 + n, n);
      assertThat(q.offer(f, f.length, false, -1, (1L << 40) + n, n % 3)).isTrue();
    }
    long[] first = new long[2];
    q.drain(
        (buf, off, len, id, from) -> {
          first[0] = id;
          first[1] = from;
          return true;
        },
        1);
    assertThat(first).containsExactly((1L << 40), 0);
    UnsentFrames unsent = new UnsentFrames();
    assertThat(q.discardAll(unsent)).isEqualTo(4);
    var report = unsent.takeCommand(7, org.vccp.vnet.status.PortCounter.DROP_NO_PORT);
    assertThat(report.packetIds())
        .containsExactly((1L << 40) + 1, (1L << 40) + 2, (1L << 40) + 3, (1L << 40) + 4);
    assertThat(report.fromPorts()).containsExactly(1, 2, 0, 1);
    assertThat(report.lengths()).containsExactly(61, 62, 63, 64);
    assertThat(unsent.isEmpty()).isTrue();
  }

  /**
   * A super-frame's offload word travels in its record, its checksum start moved by the tag the
   * queue adds or removes; plain frames around it carry none, across wraps.
   */
  @Test
  void offloadWordsTravelWithTheirFramesAndFollowVlanEdits() {
    EgressQueue q = new EgressQueue(128 * 1024);
    long w = org.vccp.vnet.frame.Offload.pack(1, 1, 1448, 34, 16);
    java.util.List<long[]> seen = new java.util.ArrayList<>();
    for (int round = 0; round < 400; round++) {
      int kind = round % 4; // 0 plain, 1 super, 2 super + tag inserted, 3 tagged super, stripped
      byte[] f =
          kind == 3
              ? Frames.tagged(1, 2, 10, 0, 704 + round % 300, round)
              : Frames.frame(1, 2, 700 + round % 300, round);
      long offload = kind == 0 ? 0 : kind == 3 ? org.vccp.vnet.frame.Offload.shifted(w, 4) : w;
      assertThat(q.offer(f, 0, f.length, kind == 3, kind == 2 ? 10 : -1, round, 0, offload))
          .isTrue();
      q.drain(
          new EgressQueue.FrameHandler() {
            @Override
            public boolean onFrame(byte[] b, int o, int l, long id, int from) {
              throw new AssertionError("the offload-aware method is called");
            }

            @Override
            public boolean onFrame(byte[] b, int o, int l, long id, int from, long offload) {
              seen.add(new long[] {id, offload, l});
              return true;
            }
          },
          1);
    }
    for (long[] r : seen) {
      int kind = (int) (r[0] % 4);
      long expected =
          switch (kind) {
            case 0 -> 0;
            case 2 -> org.vccp.vnet.frame.Offload.shifted(w, 4);
            default -> w;
          };
      assertThat(r[1]).as("offload of record %d", r[0]).isEqualTo(expected);
      assertThat(r[2]).isEqualTo(700 + r[0] % 300 + (kind == 2 ? 4 : 0));
    }
    assertThat(seen).hasSize(400);
  }

  @Test
  void theSegmentsOfOneSuperFrameAreReportedUnsentOnce() {
    UnsentFrames lost = new UnsentFrames();
    lost.add(5, 1, 1514);
    for (int i = 0; i < 3; i++) {
      lost.add(9, 2, 1000); // one super-frame cut in three
    }
    lost.add(9, 3, 60); // the same id from another port is another frame
    var report = lost.takeCommand(0, org.vccp.vnet.status.PortCounter.DROP_SEND_ERROR);
    assertThat(report.packetIds()).containsExactly(5L, 9L, 9L);
    assertThat(report.fromPorts()).containsExactly(1, 2, 3);
    assertThat(report.lengths()).containsExactly(1514, 3000, 60);
  }

  @Test
  void unsentFramesStayInOrderAcrossGrowthAndWrap() {
    UnsentFrames writing = new UnsentFrames();
    UnsentFrames lost = new UnsentFrames();
    long next = 0;
    long expected = 0;
    for (int round = 0; round < 50; round++) {
      for (int k = 0; k < 37 * (round % 5 + 1); k++) {
        writing.add(next, (int) (next % 5), (int) (next % 1500));
        next++;
      }
      int sent = writing.size() / 2;
      writing.skip(sent);
      expected += sent;
      assertThat(writing.oldestLength()).isEqualTo((int) (expected % 1500));
      if (round % 10 == 9) {
        int n = writing.size();
        writing.moveTo(lost, n);
        var report = lost.takeCommand(0, org.vccp.vnet.status.PortCounter.DROP_NO_PORT);
        assertThat(report.packetIds()).hasSize(n);
        for (int i = 0; i < n; i++) {
          assertThat(report.packetIds()[i]).isEqualTo(expected + i);
          assertThat(report.fromPorts()[i]).isEqualTo((int) ((expected + i) % 5));
        }
        expected += n;
      }
    }
    assertThat(writing.isEmpty()).isTrue();
    assertThat(expected).isEqualTo(next);
  }
}
