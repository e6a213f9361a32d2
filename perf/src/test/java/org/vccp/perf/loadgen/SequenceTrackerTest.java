package org.vccp.perf.loadgen;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The per-stream accounting rules, one arrival at a time. */
class SequenceTrackerTest {
  @Test
  void inOrderStreamIsClean() {
    SequenceTracker t = new SequenceTracker();
    for (long s = 0; s < 100_000; s++) {
      t.record(s);
    }
    assertThat(t.unique()).isEqualTo(100_000);
    assertThat(t.lost(100_000)).isZero();
    assertThat(t.duplicated()).isZero();
    assertThat(t.reordered()).isZero();
  }

  @Test
  void swapCountsOneReorderedAndLateGapIsNotLost() {
    SequenceTracker t = new SequenceTracker();
    for (long s : new long[] {0, 2, 1, 3, 5, 6, 4}) {
      t.record(s);
    }
    assertThat(t.reordered()).isEqualTo(2);
    assertThat(t.lost(7)).isZero();
  }

  @Test
  void duplicatesCountedHoweverLate() {
    SequenceTracker t = new SequenceTracker();
    for (long s = 0; s < 1_000; s++) {
      t.record(s);
    }
    assertThat(t.record(3)).isFalse();
    assertThat(t.record(999)).isFalse();
    assertThat(t.duplicated()).isEqualTo(2);
    assertThat(t.unique()).isEqualTo(1_000);
  }

  @Test
  void lostCountsGapsAndTailUpToWhatWasSent() {
    SequenceTracker t = new SequenceTracker();
    for (long s = 0; s < 130; s++) {
      if (s != 64 && s != 65) {
        t.record(s);
      }
    }
    assertThat(t.lost(130)).isEqualTo(2);
    assertThat(t.lost(200)).isEqualTo(72);
    assertThat(t.lost(64)).isZero();
  }

  @Test
  void impossibleSequenceIsCorruptNotAllocated() {
    SequenceTracker t = new SequenceTracker();
    assertThat(t.record(-1)).isFalse();
    assertThat(t.record(Long.MAX_VALUE)).isFalse();
    assertThat(t.corrupt()).isEqualTo(2);
    assertThat(t.unique()).isZero();
  }
}
