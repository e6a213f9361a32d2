package org.vccp.perf.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.vccp.perf.checkpoint.CheckpointCost.Estimate;
import org.vccp.perf.checkpoint.CheckpointCost.Summary;
import org.vccp.perf.checkpoint.CheckpointCost.Tick;

class CheckpointCostTest {
  private static final long S = 1_000_000_000L;

  /**
   * A workload whose rate drifts from 40 to 30 rounds/s over 11 minutes (a whole-run comparison
   * would see that as 12% overhead), paused for {@code pause} seconds at each of 10 events 60 s
   * apart; ticks every 20 rounds.
   */
  private static List<Tick> ticks(double pause) {
    List<Tick> out = new ArrayList<>();
    double t = 0;
    int next = 1;
    for (long rounds = 20; t < 660; rounds += 20) {
      double rate = 40 - 10 * t / 660;
      t += 20 / rate;
      if (next <= 10 && t >= 60.0 * next) {
        t += pause;
        next++;
      }
      out.add(new Tick(rounds, (long) (t * S)));
    }
    return out;
  }

  private static List<Long> every60(long offsetNs) {
    List<Long> out = new ArrayList<>();
    for (int k = 1; k <= 10; k++) {
      out.add(k * 60 * S + offsetNs);
    }
    return out;
  }

  @Test
  void findsEachPauseDespiteDriftAndTheControlFindsNone() {
    CheckpointCost cost = new CheckpointCost(ticks(0.3), 1, 8, 15);

    List<Estimate> real = cost.at(every60(0));
    List<Estimate> control = cost.at(every60(30 * S));

    assertThat(real).hasSize(10);
    assertThat(real).allSatisfy(e -> assertThat(e.lostSeconds()).isCloseTo(0.3, within(0.02)));
    assertThat(control).hasSize(10);
    assertThat(control).allSatisfy(e -> assertThat(e.lostSeconds()).isCloseTo(0, within(0.02)));
  }

  @Test
  void noPauseMeansNoLoss() {
    CheckpointCost cost = new CheckpointCost(ticks(0), 1, 8, 15);

    assertThat(cost.at(every60(0)))
        .hasSize(10)
        .allSatisfy(e -> assertThat(e.lostSeconds()).isCloseTo(0, within(0.02)));
  }

  @Test
  void anEventWithoutCleanProgressOnBothSidesHasNoEstimate() {
    CheckpointCost cost = new CheckpointCost(ticks(0.3), 1, 8, 15);

    assertThat(cost.at(5 * S)).isEmpty(); // no reference before
    assertThat(cost.at(655 * S)).isEmpty(); // the ticks end inside the window
  }

  @Test
  void summaryHasStudentsIntervalForSmallSamples() {
    Summary s = Summary.of(List.of(1.0, 2.0, 3.0));

    assertThat(s.mean()).isEqualTo(2.0);
    assertThat(s.sd()).isCloseTo(1.0, within(1e-12));
    // t(0.975, 2) = 4.303
    assertThat(s.halfWidth95()).isCloseTo(4.303 / Math.sqrt(3), within(1e-3));
  }
}
