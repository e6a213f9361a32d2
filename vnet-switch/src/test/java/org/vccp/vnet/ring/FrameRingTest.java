package org.vccp.vnet.ring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.lmax.disruptor.EventHandler;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.vccp.vnet.testing.Await;

class FrameRingTest {
  /**
   * A batch larger than a quarter of the ring goes in several claims; every frame still arrives
   * once, in order, whole, at the forwarder and at the consumer trailing it.
   */
  @Test
  void batchesLargerThanTheRingArriveWholeAndInOrderAtEveryConsumer() {
    List<byte[]> first = new CopyOnWriteArrayList<>();
    List<byte[]> trailing = new CopyOnWriteArrayList<>();
    EventHandler<FrameSlot> a = (slot, seq, end) -> first.add(copy(slot));
    EventHandler<FrameSlot> b = (slot, seq, end) -> trailing.add(copy(slot));
    FrameRing ring = new FrameRing(64, 128, 4, WaitStrategyName.BLOCKING, a, b);
    ring.start();
    try {
      ByteBuf buf = Unpooled.buffer();
      int count = 300;
      int[] indexes = new int[count];
      int[] lengths = new int[count];
      List<byte[]> sent = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        byte[] f = new byte[14 + i % 200];
        f[0] = (byte) i;
        f[f.length - 1] = (byte) (i >> 8);
        indexes[i] = buf.writerIndex() + 3;
        lengths[i] = f.length;
        buf.writeZero(3).writeBytes(f);
        sent.add(f);
      }
      ring.publishFrames(2, buf, indexes, lengths, count);
      Await.until(
          "both consumers saw every frame", Duration.ofSeconds(10), () -> trailing.size() == count);
      assertThat(first).containsExactlyElementsOf(sent);
      assertThat(trailing).containsExactlyElementsOf(sent);
    } finally {
      ring.close();
    }
  }

  /**
   * A trailing consumer that wants frames only between an "on" and an "off" command sees every
   * command and exactly the frames between them, in order; while it wants none, the ring runs many
   * laps past it without stalling, and a command that throws is skipped like a frame.
   */
  @Test
  @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void aTrailingConsumerThatWantsNoFramesSeesOnlyCommandsAndNeverStallsTheRing() {
    List<Object> seen = new CopyOnWriteArrayList<>();
    TrailingConsumer b =
        new TrailingConsumer() {
          private boolean on;

          @Override
          public boolean wantsFrames() {
            return on;
          }

          @Override
          public void onEvent(FrameSlot slot, long seq, boolean end) {
            if (slot.kind == FrameSlot.KIND_COMMAND) {
              if ("boom".equals(slot.command)) {
                throw new IllegalStateException("test failure on a command");
              }
              on = "on".equals(slot.command) || on && !"off".equals(slot.command);
              seen.add(slot.command);
            } else {
              seen.add((int) slot.data[0] & 0xFF);
            }
          }
        };
    EventHandler<FrameSlot> a = (slot, seq, end) -> {};
    FrameRing ring = new FrameRing(64, 128, 4, WaitStrategyName.BLOCKING, a, b);
    ring.start();
    try {
      byte[] f = new byte[20];
      for (int i = 0; i < 1000; i++) { // 15 laps of the ring while the consumer wants no frames
        f[0] = (byte) i;
        ring.publishFrame(1, f, 0, f.length);
      }
      ring.publishCommand("boom");
      ring.publishCommand("on");
      for (int i = 0; i < 100; i++) {
        f[0] = (byte) i;
        ring.publishFrame(1, f, 0, f.length);
      }
      ring.publishCommand("off");
      for (int i = 100; i < 1000; i++) {
        f[0] = (byte) i;
        ring.publishFrame(1, f, 0, f.length);
      }
      ring.publishCommand("last");
      Await.until("the last command arrived", Duration.ofSeconds(10), () -> seen.contains("last"));
      List<Object> expected = new ArrayList<>();
      expected.add("on");
      for (int i = 0; i < 100; i++) {
        expected.add(i);
      }
      expected.add("off");
      expected.add("last");
      assertThat(seen).containsExactlyElementsOf(expected);
    } finally {
      ring.close();
    }
  }

  /**
   * A trailing consumer that reads only commands sleeps up to {@link
   * TrailingBarrier#MAX_IDLE_PARK_NS} once the ring is idle, yet a command reaches it at once and a
   * producer that finds the ring full does not wait out that sleep. Without the wake-ups a command
   * sent 130 ms after the last would wait about 70 ms for the consumer's next 100 ms wake, and each
   * lap of the ring about 100 ms.
   */
  @Test
  @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void anIdleTrailingConsumerIsWokenByCommandsAndByAFullRing() throws Exception {
    java.util.concurrent.BlockingQueue<Long> handled =
        new java.util.concurrent.LinkedBlockingQueue<>();
    TrailingConsumer b = commandsOnly((slot, seq, end) -> handled.add(System.nanoTime()), () -> {});
    EventHandler<FrameSlot> a = (slot, seq, end) -> {};
    FrameRing ring = new FrameRing(64, 128, 4, WaitStrategyName.BLOCKING, a, b);
    ring.start();
    try {
      Thread.sleep(1_000); // idle: the consumer's sleep grows to its longest
      long slowest = 0;
      for (int i = 0; i < 10; i++) {
        long sent = System.nanoTime();
        ring.publishCommand("c" + i);
        Long at = handled.poll(5, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(at).as("command %d handled", i).isNotNull();
        slowest = Math.max(slowest, at - sent);
        Thread.sleep(130); // long enough for the consumer to sleep again
      }
      assertThat(Duration.ofNanos(slowest)).isLessThan(Duration.ofMillis(20));

      Thread.sleep(300);
      byte[] f = new byte[20];
      long start = System.nanoTime();
      for (int i = 0; i < 64 * 5; i++) { // five laps of the ring
        ring.publishFrame(1, f, 0, f.length);
      }
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(250));
    } finally {
      ring.close();
    }
  }

  /**
   * While a trailing consumer reads only commands, the forwarder moves it past the frames: fifty
   * laps of the ring go by while its thread sleeps, with the forwarder on its own thread and on the
   * publishing one. Before, the consumer woke at least once a lap to hand the ring back.
   */
  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void anIdleTrailingConsumerSleepsWhileTheRingRunsLapsPastIt(boolean forwardOnIngress)
      throws Exception {
    List<Object> commands = new CopyOnWriteArrayList<>();
    java.util.concurrent.atomic.AtomicLong forwarded = new java.util.concurrent.atomic.AtomicLong();
    TrailingConsumer b = commandsOnly((slot, seq, end) -> commands.add(slot.command), () -> {});
    EventHandler<FrameSlot> a = (slot, seq, end) -> forwarded.incrementAndGet();
    FrameRing ring = new FrameRing(64, 128, 4, WaitStrategyName.BLOCKING, forwardOnIngress, a, b);
    ring.start();
    try {
      ring.publishCommand("first");
      Await.until("the first command arrived", Duration.ofSeconds(5), () -> !commands.isEmpty());
      Thread.sleep(300); // the consumer goes to sleep
      long roundsBefore = ring.trailingRounds();
      byte[] f = new byte[20];
      for (int i = 0; i < 64 * 50; i++) {
        ring.publishFrame(1, f, 0, f.length);
      }
      long roundsDuring = ring.trailingRounds() - roundsBefore;
      ring.publishCommand("last");
      Await.until("the last command arrived", Duration.ofSeconds(5), () -> commands.size() == 2);
      assertThat(forwarded.get()).isEqualTo(64 * 50 + 2);
      assertThat(commands).containsExactly("first", "last");
      assertThat(roundsDuring).as("times the idle consumer woke during 50 laps").isLessThan(10);
    } finally {
      ring.close();
    }
  }

  /** A trailing consumer that never wants frames: it is handed only the command slots. */
  private static TrailingConsumer commandsOnly(
      EventHandler<FrameSlot> onEvent, Runnable onShutdown) {
    return new TrailingConsumer() {
      @Override
      public boolean wantsFrames() {
        return false;
      }

      @Override
      public void onEvent(FrameSlot slot, long seq, boolean end) throws Exception {
        onEvent.onEvent(slot, seq, end);
      }

      @Override
      public void onShutdown() {
        onShutdown.run();
      }
    };
  }

  /** The phased wait told to sleep at once (recording) still wakes on a publish and on an alert. */
  @Test
  @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void phasedWaitSleepingAtOnceWakesOnPublishAndOnAlert() throws Exception {
    PhasedWait wait = new PhasedWait();
    wait.sleepAtOnce(true);
    com.lmax.disruptor.RingBuffer<long[]> ring =
        com.lmax.disruptor.RingBuffer.createMultiProducer(() -> new long[1], 64, wait);
    com.lmax.disruptor.SequenceBarrier barrier = ring.newBarrier();
    java.util.concurrent.CompletableFuture<Long> first = waitAsync(barrier, 0);
    Thread.sleep(50);
    assertThat(first).isNotDone();
    ring.publish(ring.next());
    assertThat(first.get(5, java.util.concurrent.TimeUnit.SECONDS)).isZero();
    java.util.concurrent.CompletableFuture<Long> second = waitAsync(barrier, 1);
    Thread.sleep(50);
    barrier.alert();
    assertThatThrownBy(() -> second.get(5, java.util.concurrent.TimeUnit.SECONDS))
        .hasCauseInstanceOf(com.lmax.disruptor.AlertException.class);
  }

  private static java.util.concurrent.CompletableFuture<Long> waitAsync(
      com.lmax.disruptor.SequenceBarrier barrier, long sequence) {
    java.util.concurrent.CompletableFuture<Long> f = new java.util.concurrent.CompletableFuture<>();
    Thread t =
        new Thread(
            () -> {
              try {
                f.complete(barrier.waitFor(sequence));
              } catch (Throwable e) {
                f.completeExceptionally(e);
              }
            });
    t.setDaemon(true);
    t.start();
    return f;
  }

  /** A ring closed right after it started stops its trailing consumer every time. */
  @Test
  @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void aRingClosedAtOnceAfterStartingStopsItsTrailingConsumer() {
    java.util.concurrent.atomic.AtomicInteger stopped =
        new java.util.concurrent.atomic.AtomicInteger();
    int rings = 50;
    for (int i = 0; i < rings; i++) {
      TrailingConsumer b = commandsOnly((slot, seq, end) -> {}, stopped::incrementAndGet);
      EventHandler<FrameSlot> a = (slot, seq, end) -> {};
      FrameRing ring = new FrameRing(64, 128, 4, WaitStrategyName.BLOCKING, a, b);
      ring.start();
      ring.close();
    }
    Await.until(
        "every trailing consumer stopped", Duration.ofSeconds(30), () -> stopped.get() == rings);
  }

  /** A consumer that fails on a slot skips it (logged) and goes on; ingress never stalls. */
  @Test
  // a consumer killed by its exception would stall publishing forever: fail, do not hang
  @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void aTrailingConsumerThatThrowsSkipsTheSlotAndTheRingKeepsFlowing() {
    List<byte[]> first = new CopyOnWriteArrayList<>();
    List<Integer> trailing = new CopyOnWriteArrayList<>();
    EventHandler<FrameSlot> a = (slot, seq, end) -> first.add(copy(slot));
    EventHandler<FrameSlot> b =
        (slot, seq, end) -> {
          if (slot.data[0] % 10 == 3) {
            throw new IllegalStateException("test failure on frame " + slot.data[0]);
          }
          trailing.add((int) slot.data[0]);
        };
    FrameRing ring = new FrameRing(64, 128, 4, WaitStrategyName.BLOCKING, a, b);
    ring.start();
    try {
      ByteBuf buf = Unpooled.buffer();
      int count = 100; // more than the ring holds: a dead consumer would stall publishing
      int[] indexes = new int[count];
      int[] lengths = new int[count];
      for (int i = 0; i < count; i++) {
        byte[] f = new byte[20];
        f[0] = (byte) i;
        indexes[i] = buf.writerIndex();
        lengths[i] = f.length;
        buf.writeBytes(f);
      }
      ring.publishFrames(2, buf, indexes, lengths, count);
      ring.publishFrames(2, buf, indexes, lengths, count);
      Await.until(
          "the trailing consumer passed every slot",
          Duration.ofSeconds(10),
          () -> trailing.size() == 2 * (count - 10));
      assertThat(first).hasSize(2 * count);
      assertThat(trailing).doesNotContain(3, 13, 93);
    } finally {
      ring.close();
    }
  }

  /**
   * A batch that fails half-way (here: a bad index) still publishes every slot it claimed, but the
   * unfilled ones are empty: no consumer sees last lap's command again or a stale frame.
   */
  @Test
  void aBatchThatFailsHalfWayLeavesItsUnfilledSlotsEmpty() {
    List<Object> seen = new CopyOnWriteArrayList<>();
    List<Object> seenBehind = new CopyOnWriteArrayList<>();
    EventHandler<FrameSlot> a = (slot, seq, end) -> seen.add(describe(slot));
    EventHandler<FrameSlot> b = (slot, seq, end) -> seenBehind.add(describe(slot));
    FrameRing ring = new FrameRing(64, 128, 4, WaitStrategyName.BLOCKING, a, b);
    ring.start();
    try {
      for (int i = 0; i < 64; i++) {
        ring.publishCommand("old command " + i); // one lap: every slot holds a command
      }
      ByteBuf buf = Unpooled.buffer().writeZero(100);
      int[] indexes = {0, 20, 1_000, 40, 60};
      int[] lengths = {20, 20, 20, 20, 20};
      assertThatThrownBy(() -> ring.publishFrames(2, buf, indexes, lengths, 5))
          .isInstanceOf(IndexOutOfBoundsException.class);
      ring.publishFrame(2, new byte[30], 0, 30);
      Await.until(
          "the trailing consumer caught up",
          Duration.ofSeconds(10),
          () -> seenBehind.size() == 64 + 5 + 1);
      List<Object> expected = new ArrayList<>();
      for (int i = 0; i < 64; i++) {
        expected.add("old command " + i);
      }
      expected.addAll(List.of("frame 20", "frame 20", "empty", "empty", "empty", "frame 30"));
      assertThat(seen).containsExactlyElementsOf(expected);
      assertThat(seenBehind).containsExactlyElementsOf(expected);
    } finally {
      ring.close();
    }
  }

  private static Object describe(FrameSlot slot) {
    return switch (slot.kind) {
      case FrameSlot.KIND_COMMAND -> slot.command;
      case FrameSlot.KIND_FRAME -> "frame " + slot.length;
      case FrameSlot.KIND_EMPTY -> "empty";
      default -> "kind " + slot.kind;
    };
  }

  private static byte[] copy(FrameSlot slot) {
    assertThat(slot.kind).isEqualTo(FrameSlot.KIND_FRAME);
    assertThat(slot.ingressPortId).isEqualTo(2);
    return java.util.Arrays.copyOf(slot.data, slot.length);
  }
}
