package org.vccp.perf.loadgen;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the real generator through {@link FrameRelay}, which damages chosen frames, and checks that
 * loss, duplicates and reordering are counted exactly, per sender and in total.
 */
class LoadGeneratorAccountingTest {
  @TempDir Path dir;

  private static LoadSpec spec(int senders, int receivers, SendMode mode, long rate, long ms) {
    return new LoadSpec(senders, receivers, 64, mode, rate, 50, ms, 200, 3_000);
  }

  @Test
  void countsEachInjectedFaultExactlyWithTwoSendersIntoOneReceiver() throws Exception {
    try (FrameRelay relay = new FrameRelay(dir, 2, 1)) {
      relay.drop(0, 0, 10).drop(1, 0, 20);
      relay.duplicate(0, 0, 30).duplicate(1, 0, 40).duplicate(1, 0, 41);
      relay.swapWithNext(0, 0, 50).swapWithNext(1, 0, 60);

      LoadResult r = new LoadGenerator(spec(2, 1, SendMode.PACED, 5_000, 300)).run(relay.sockets());

      assertThat(r.lost()).isEqualTo(2);
      assertThat(r.duplicated()).isEqualTo(3);
      assertThat(r.reordered()).isEqualTo(2);
      assertThat(r.corrupt()).isZero();
      assertThat(r.framesReceived()).isEqualTo(r.framesSent() - 2);
      LoadResult.SenderStats s0 = r.senders().get(0);
      LoadResult.SenderStats s1 = r.senders().get(1);
      assertThat(new long[] {s0.lost(), s0.duplicated(), s0.reordered()}).containsExactly(1, 1, 1);
      assertThat(new long[] {s1.lost(), s1.duplicated(), s1.reordered()}).containsExactly(1, 2, 1);
      // 50 ms warmup + 300 ms window at 5,000 frames/s per sender.
      assertThat(s0.framesSent()).isEqualTo(1_750);
      assertThat(s0.framesSentInWindow()).isEqualTo(1_500);
      assertThat(r.rxFramesPerSecond()).isBetween(7_000.0, 10_500.0);
      assertThat(r.latency().samples()).isPositive();
      // every frame of the window says how late it left, and none left before its time
      assertThat(r.sendLateness().samples()).isEqualTo(3_000);
      assertThat(r.sendLateness().p50Ns()).isBetween(0L, 300_000_000L);
    }
  }

  @Test
  void accountsEveryReceiverOfARoundRobinSenderSeparately() throws Exception {
    try (FrameRelay relay = new FrameRelay(dir, 1, 2)) {
      relay.drop(0, 1, 5).swapWithNext(0, 0, 7).duplicate(0, 1, 9).duplicate(0, 0, 9);

      LoadResult r = new LoadGenerator(spec(1, 2, SendMode.MAX, 0, 200)).run(relay.sockets());

      assertThat(r.lost()).isEqualTo(1);
      assertThat(r.duplicated()).isEqualTo(2);
      assertThat(r.reordered()).isEqualTo(1);
      assertThat(r.framesReceived()).isEqualTo(r.framesSent() - 1);
      assertThat(r.framesSent()).isGreaterThan(20);
    }
  }

  @Test
  void countsFramesMissingAtTheEndAsLost() throws Exception {
    try (FrameRelay relay = new FrameRelay(dir, 1, 1)) {
      relay.dropFrom(0, 0, 100);

      LoadResult r = new LoadGenerator(spec(1, 1, SendMode.PACED, 2_000, 200)).run(relay.sockets());

      assertThat(r.framesSent()).isEqualTo(500);
      assertThat(r.framesReceived()).isEqualTo(100);
      assertThat(r.lost()).isEqualTo(400);
      assertThat(r.duplicated()).isZero();
      assertThat(r.reordered()).isZero();
    }
  }

  @Test
  void cleanPathLosesNothing() throws Exception {
    try (FrameRelay relay = new FrameRelay(dir, 1, 1)) {
      LoadResult r = new LoadGenerator(spec(1, 1, SendMode.MAX, 0, 200)).run(relay.sockets());

      assertThat(r.clean()).isTrue();
      assertThat(r.framesReceived()).isEqualTo(r.framesSent()).isPositive();
      assertThat(r.framesReceivedInWindow()).isPositive();
      assertThat(r.sendLateness().samples()).as("no send schedule at max rate").isZero();
    }
  }
}
