package org.vccp.perf.checkpoint;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.commons.math3.distribution.TDistribution;
import org.apache.commons.math3.stat.descriptive.SummaryStatistics;

/**
 * How much progress a CPU-bound workload lost around each checkpoint, measured against its own rate
 * just before and just after, so that slow drift of the host (other VMs, thermal, TCG translation
 * caches) cancels out instead of drowning a sub-1% effect the way whole-run comparisons do.
 *
 * <p>Input: the workload's progress ticks (rounds done, host time seen) and the host times at which
 * checkpoints started. For each event time {@code s}: the <em>affected window</em> runs from the
 * last tick at or before {@code s - lead} to the first tick at or after {@code s + window}; the
 * <em>reference</em> is the ticks within {@code reach} before and after that window. Lost seconds =
 * the window's wall time minus the time its rounds take at the reference rate. The same estimate at
 * times where nothing happened (placebos) shows the method's noise floor on the same run.
 */
public final class CheckpointCost {
  /** A progress tick: {@code rounds} done by host time {@code nanos}. */
  public record Tick(long rounds, long nanos) {}

  /** One event's estimate. */
  public record Estimate(double lostSeconds, double windowSeconds, double referenceRate) {}

  private final List<Tick> ticks;
  private final long leadNs;
  private final long windowNs;
  private final long reachNs;

  /**
   * @param ticks progress ticks, in time order
   * @param leadSeconds how long before an event its window starts (scheduling slack)
   * @param windowSeconds how long after an event its effects may last
   * @param reachSeconds how much clean time before and after the window sets the reference rate
   */
  public CheckpointCost(
      List<Tick> ticks, double leadSeconds, double windowSeconds, double reachSeconds) {
    this.ticks = List.copyOf(ticks);
    this.leadNs = (long) (leadSeconds * 1e9);
    this.windowNs = (long) (windowSeconds * 1e9);
    this.reachNs = (long) (reachSeconds * 1e9);
  }

  /** The estimate for an event at host time {@code eventNanos}, if ticks cover its surroundings. */
  public Optional<Estimate> at(long eventNanos) {
    int a = lastAtOrBefore(eventNanos - leadNs);
    int b = firstAtOrAfter(eventNanos + windowNs);
    if (a < 0 || b < 0) {
      return Optional.empty();
    }
    int before = firstAtOrAfter(ticks.get(a).nanos() - reachNs);
    int after = lastAtOrBefore(ticks.get(b).nanos() + reachNs);
    // the reference must really reach out on both sides, or the estimate is one-sided
    if (before < 0 || after < 0 || before >= a || after <= b) {
      return Optional.empty();
    }
    if (ticks.get(a).nanos() - ticks.get(before).nanos() < reachNs / 2
        || ticks.get(after).nanos() - ticks.get(b).nanos() < reachNs / 2) {
      return Optional.empty();
    }
    long refRounds =
        (ticks.get(a).rounds() - ticks.get(before).rounds())
            + (ticks.get(after).rounds() - ticks.get(b).rounds());
    double refSeconds =
        ((ticks.get(a).nanos() - ticks.get(before).nanos())
                + (ticks.get(after).nanos() - ticks.get(b).nanos()))
            / 1e9;
    double rate = refRounds / refSeconds;
    double wall = (ticks.get(b).nanos() - ticks.get(a).nanos()) / 1e9;
    long rounds = ticks.get(b).rounds() - ticks.get(a).rounds();
    return Optional.of(new Estimate(wall - rounds / rate, wall, rate));
  }

  /** Estimates for every event that ticks cover. */
  public List<Estimate> at(List<Long> eventNanos) {
    List<Estimate> out = new ArrayList<>();
    for (long e : eventNanos) {
      at(e).ifPresent(out::add);
    }
    return out;
  }

  private int lastAtOrBefore(long nanos) {
    int found = -1;
    for (int i = 0; i < ticks.size() && ticks.get(i).nanos() <= nanos; i++) {
      found = i;
    }
    return found;
  }

  private int firstAtOrAfter(long nanos) {
    for (int i = 0; i < ticks.size(); i++) {
      if (ticks.get(i).nanos() >= nanos) {
        return i;
      }
    }
    return -1;
  }

  /** Mean, standard deviation and 95% confidence half-width (Student's t) of some samples. */
  public record Summary(int n, double mean, double sd, double halfWidth95) {
    /** Summarises {@code values}; needs at least two. */
    public static Summary of(List<Double> values) {
      int n = values.size();
      if (n < 2) {
        throw new IllegalArgumentException("need at least 2 samples, got " + n);
      }
      SummaryStatistics stats = new SummaryStatistics();
      values.forEach(stats::addValue);
      double t = new TDistribution(n - 1).inverseCumulativeProbability(0.975);
      return new Summary(
          n,
          stats.getMean(),
          stats.getStandardDeviation(),
          t * stats.getStandardDeviation() / Math.sqrt(n));
    }
  }
}
