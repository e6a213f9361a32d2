package org.vccp.vnet.ring;

import static org.assertj.core.api.Assertions.assertThat;

import com.lmax.disruptor.EventHandler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.vccp.vnet.testing.Await;

/**
 * The forwarder run by the ingress thread that published into an idle ring ({@link
 * ForwardingProcessor}): it takes over only then, never runs beside the forwarder thread, and every
 * slot is forwarded once, in ring order, whoever forwards it.
 */
class ForwardOnIngressTest {
  /** Frame {@code n} of producer {@code p}: the producer in byte 0, the number in bytes 1..4. */
  private static byte[] frame(int p, int n) {
    byte[] f = new byte[20];
    f[0] = (byte) p;
    f[1] = (byte) (n >>> 24);
    f[2] = (byte) (n >>> 16);
    f[3] = (byte) (n >>> 8);
    f[4] = (byte) n;
    return f;
  }

  private static int number(FrameSlot slot) {
    byte[] d = slot.data;
    return (d[1] & 0xFF) << 24 | (d[2] & 0xFF) << 16 | (d[3] & 0xFF) << 8 | d[4] & 0xFF;
  }

  /** Starts a thread that, once {@code go} opens, runs {@code step} for 0..{@code times}-1. */
  private static Thread startOnSignal(
      CountDownLatch go, String name, java.util.function.IntConsumer step, int times) {
    Thread t =
        new Thread(
            () -> {
              try {
                go.await();
              } catch (InterruptedException e) {
                return;
              }
              for (int i = 0; i < times; i++) {
                step.accept(i);
              }
            },
            name);
    t.start();
    return t;
  }

  /** A forwarder that notes the threads it runs on and may forbid running inline. */
  private static final class Noting implements EventHandler<FrameSlot>, InlineGuard {
    final Map<String, Integer> threads = new ConcurrentHashMap<>();
    final AtomicLong toldInline = new AtomicLong();
    final AtomicLong eventsMarkedInline = new AtomicLong();
    final boolean allows;
    private boolean inline;

    Noting(boolean allows) {
      this.allows = allows;
    }

    @Override
    public void onEvent(FrameSlot slot, long seq, boolean end) {
      threads.merge(Thread.currentThread().getName(), 1, Integer::sum);
      if (inline) {
        eventsMarkedInline.incrementAndGet();
      }
    }

    @Override
    public void forwardingInline(boolean on) {
      inline = on;
    }

    @Override
    public boolean allowsInline() {
      return allows;
    }

    @Override
    public void forwardedInline(long slots) {
      toldInline.addAndGet(slots);
    }
  }

  /**
   * One producer that waits for each frame to be forwarded before the next always finds the ring
   * idle: every frame is forwarded on the producer's own thread, and the trailing consumer still
   * sees each once. With the setting off, or while the forwarder's guard says no, the forwarder
   * thread forwards them all.
   */
  @Test
  @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void anIdleRingIsForwardedByThePublishingThreadOnlyWhenTheSettingAndTheGuardAllow()
      throws Exception {
    for (int mode = 0; mode < 3; mode++) {
      boolean on = mode != 1;
      Noting fwd = new Noting(mode != 2);
      Map<String, Integer> threads = fwd.threads;
      AtomicLong trailed = new AtomicLong();
      EventHandler<FrameSlot> rec = (slot, seq, end) -> trailed.incrementAndGet();
      // blocking: the forwarder thread sleeps until signalled, so it never races the producer
      FrameRing ring = new FrameRing(64, 128, 4, WaitStrategyName.BLOCKING, on, fwd, rec);
      ring.start();
      // the trailing consumer counts a frame only once the forwarder has finished with it
      Thread producer =
          new Thread(
              () -> {
                for (int i = 0; i <= 500; i++) {
                  byte[] f = frame(1, i);
                  ring.publishFrame(1, f, 0, f.length);
                  long want = i + 1;
                  while (trailed.get() < want) {
                    Thread.onSpinWait();
                  }
                  if (i == 0) {
                    threads.clear(); // the first may go before the forwarder thread runs
                    fwd.toldInline.set(0);
                    fwd.eventsMarkedInline.set(0);
                  }
                }
              },
              "test-producer");
      try {
        producer.start();
        producer.join(30_000);
        assertThat(trailed.get()).isEqualTo(501);
        if (mode == 0) {
          assertThat(threads).containsOnlyKeys("test-producer").containsEntry("test-producer", 500);
          assertThat(fwd.toldInline.get()).as("slots reported forwarded inline").isEqualTo(500);
          assertThat(fwd.eventsMarkedInline.get()).as("told while forwarding").isEqualTo(500);
        } else {
          assertThat(threads).containsOnlyKeys("vccp-forwarder");
          assertThat(fwd.toldInline.get()).isZero();
          assertThat(fwd.eventsMarkedInline.get()).isZero();
        }
      } finally {
        ring.close();
      }
    }
  }

  /**
   * Four producers race each other, a thread publishing commands, and the forwarder thread
   * (spinning between frames with the phased wait, sleeping until signalled with the blocking one):
   * the forwarder's code never runs on two threads at once, every frame reaches it and the trailing
   * consumer exactly once, each producer's frames in the order sent, and both consumers see the
   * same ring order. Some frames are forwarded by producers, the rest and every command by the
   * forwarder thread. A lost wake-up would leave frames unforwarded (the wait times out).
   */
  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.EnumSource(
      value = WaitStrategyName.class,
      names = {"PHASED", "BLOCKING"})
  @Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void racingProducersNeverRunTheForwarderTwiceAtOnceAndLoseNothing(WaitStrategyName strategy)
      throws Exception {
    int producers = 4;
    int commands = 2_000;
    AtomicInteger commandsSeen = new AtomicInteger();
    AtomicInteger commandsInline = new AtomicInteger();
    int perProducer = 50_000;
    AtomicInteger inside = new AtomicInteger();
    AtomicInteger overlaps = new AtomicInteger();
    int[] next = new int[producers];
    AtomicInteger misordered = new AtomicInteger();
    Map<String, Integer> threads = new ConcurrentHashMap<>();
    List<Long> firstOrder = new ArrayList<>(); // only the forwarder's role holder appends
    List<Long> trailingOrder = java.util.Collections.synchronizedList(new ArrayList<>());
    EventHandler<FrameSlot> fwd =
        (slot, seq, end) -> {
          if (inside.incrementAndGet() != 1) {
            overlaps.incrementAndGet();
          }
          if (slot.kind == FrameSlot.KIND_COMMAND) {
            commandsSeen.incrementAndGet();
            if (!Thread.currentThread().getName().equals("vccp-forwarder")) {
              commandsInline.incrementAndGet();
            }
            inside.decrementAndGet();
            return;
          }
          int p = slot.data[0];
          if (number(slot) != next[p]) {
            misordered.incrementAndGet();
          }
          next[p] = number(slot) + 1;
          firstOrder.add((long) p << 32 | number(slot));
          String t = Thread.currentThread().getName();
          threads.merge(t.startsWith("test-p") ? "producers" : t, 1, Integer::sum);
          inside.decrementAndGet();
        };
    EventHandler<FrameSlot> rec =
        (slot, seq, end) -> {
          if (slot.kind != FrameSlot.KIND_COMMAND) {
            trailingOrder.add((long) slot.data[0] << 32 | number(slot));
          }
        };
    FrameRing ring = new FrameRing(256, 128, 4, strategy, true, fwd, rec);
    ring.start();
    CountDownLatch go = new CountDownLatch(1);
    List<Thread> ts = new ArrayList<>();
    try {
      for (int p = 0; p < producers; p++) {
        int id = p;
        ts.add(
            startOnSignal(
                go,
                "test-p" + p,
                i -> {
                  byte[] f = frame(id, i);
                  ring.publishFrame(id, f, 0, f.length);
                  if (i % 64 == 0) {
                    Thread.yield(); // let the ring drain now and then, so it is idle sometimes
                  }
                },
                perProducer));
      }
      ts.add(
          startOnSignal(
              go,
              "test-commands",
              i -> {
                ring.publishCommand("c" + i);
                if (i % 16 == 0) {
                  Thread.yield();
                }
              },
              commands));
      go.countDown();
      for (Thread t : ts) {
        t.join(60_000);
      }
      int total = producers * perProducer;
      Await.until(
          "the trailing consumer saw every frame",
          Duration.ofSeconds(30),
          () -> trailingOrder.size() >= total);
      assertThat(overlaps.get()).as("forwarder runs that overlapped").isZero();
      assertThat(misordered.get()).as("frames out of their producer's order").isZero();
      assertThat(firstOrder).hasSize(total);
      assertThat(trailingOrder).containsExactlyElementsOf(firstOrder);
      for (int p = 0; p < producers; p++) {
        assertThat(next[p]).as("frames of producer " + p).isEqualTo(perProducer);
      }
      Await.until(
          "every command arrived", Duration.ofSeconds(30), () -> commandsSeen.get() == commands);
      assertThat(commandsInline.get()).as("commands run on ingress threads").isZero();
      assertThat(threads).containsKey("producers");
    } finally {
      ring.close();
    }
  }

  /** A forwarder that throws on one frame, run by a producer, skips that frame and forwards on. */
  @Test
  @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void aFrameTheForwarderThrowsOnIsSkippedAndTheNextOnesStillArrive() {
    List<Integer> seen = new CopyOnWriteArrayList<>();
    AtomicInteger calls = new AtomicInteger();
    Map<String, Integer> threads = new ConcurrentHashMap<>();
    EventHandler<FrameSlot> fwd =
        (slot, seq, end) -> {
          calls.incrementAndGet();
          threads.merge(Thread.currentThread().getName(), 1, Integer::sum);
          if (number(slot) == 3) {
            throw new IllegalStateException("test failure on frame 3");
          }
          seen.add(number(slot));
        };
    AtomicLong trailed = new AtomicLong();
    EventHandler<FrameSlot> rec = (slot, seq, end) -> trailed.incrementAndGet();
    FrameRing ring = new FrameRing(64, 128, 4, WaitStrategyName.BLOCKING, true, fwd, rec);
    ring.start();
    try {
      for (int i = 0; i < 6; i++) {
        byte[] f = frame(0, i);
        ring.publishFrame(0, f, 0, f.length);
        int want = i + 1;
        Await.until("frame " + i + " passed", Duration.ofSeconds(10), () -> trailed.get() == want);
        if (i == 0) {
          threads.clear(); // the first may go before the forwarder thread runs
        }
      }
      assertThat(calls.get()).isEqualTo(6);
      assertThat(seen).containsExactly(0, 1, 2, 4, 5);
      assertThat(threads).containsOnlyKeys(Thread.currentThread().getName());
    } finally {
      ring.close();
    }
  }
}
