package org.vccp.perf.checkpoint;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.commons.io.file.PathUtils;
import org.vccp.checkpoint.protocol.CheckpointResult;
import org.vccp.cli.cluster.Cluster;
import org.vccp.cli.cluster.ClusterSpec;
import org.vccp.perf.checkpoint.CheckpointCost.Estimate;
import org.vccp.perf.checkpoint.CheckpointCost.Summary;
import org.vccp.perf.checkpoint.CheckpointCost.Tick;
import org.vccp.qemu.guest.SerialLine;
import org.vccp.qemu.hypervisor.QmpHypervisor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * What periodic checkpoints cost a CPU-bound guest. One real QEMU guest runs the {@code cpu}
 * workload (MD5 rounds, a tick line every 20 rounds, timed on the host as the lines appear) while a
 * VCCP checkpoint is taken every {@code --every-s}. Each checkpoint's cost is the progress the
 * guest lost in the seconds around it, against its own rate just before and after ({@link
 * CheckpointCost}); the same estimate half-way between checkpoints, where nothing happens, is the
 * control that shows the method's noise on this run.
 *
 * <p>Why not two whole runs, with and without: consecutive runs of the same TCG workload on a
 * shared 2-vCPU VM differ by about 5%, five times the effect to be measured (BENCHMARKS.md).
 */
@Command(
    name = "checkpoint-overhead",
    mixinStandardHelpOptions = true,
    description = {
      "Cost of a checkpoint every --every-s (default 60) to a CPU-bound QEMU guest: progress",
      "lost around each checkpoint against the guest's own rate before and after, with a",
      "control estimate half-way between checkpoints. Prints a markdown table."
    })
public final class CheckpointOverheadCommand implements Callable<Integer> {
  @Option(names = "--checkpoints", description = "Checkpoints to take (default 10).")
  int checkpoints = 10;

  @Option(names = "--every-s", description = "Seconds between checkpoints (default 60).")
  int everySeconds = 60;

  @Option(
      names = "--window-s",
      description = "Seconds after a checkpoint's start its effects may last (default 8).")
  double windowSeconds = 8;

  @Option(
      names = "--reach-s",
      description = "Seconds of clean progress on each side that set the reference (default 15).")
  double reachSeconds = 15;

  @Option(names = "--memory-mb", description = "Guest memory (default 128).")
  int memoryMb = 128;

  private static final double LEAD_SECONDS = 1;

  @Override
  public Integer call() throws Exception {
    double needed = 2 * (LEAD_SECONDS + windowSeconds + reachSeconds);
    if (everySeconds < needed) {
      System.err.printf(
          "--every-s %d is too short for --window-s %.0f and --reach-s %.0f: the control half-way"
              + " between checkpoints needs %.0f s; raise --every-s or lower the others%n",
          everySeconds, windowSeconds, reachSeconds, needed);
      return 2;
    }
    Path dir = Files.createTempDirectory("vccp-overhead-");
    ClusterSpec spec = new ClusterSpec();
    spec.name = "overhead" + ProcessHandle.current().pid();
    spec.guestKind = "qemu";
    spec.memoryMb = memoryMb;
    ClusterSpec.Guest g = new ClusterSpec.Guest();
    g.name = "g1";
    g.ip = "10.0.0.1/24";
    g.workloads = List.of("cpu");
    g.count = 1_000_000; // hours under TCG: runs until the cluster goes down
    spec.guests.add(g);
    List<Long> starts = new ArrayList<>();
    List<CheckpointResult> results = new ArrayList<>();
    List<Tick> ticks = new ArrayList<>();
    long begin;
    long end;
    try (Cluster c =
        Cluster.up(spec, dir, dir.resolve("run"), line -> System.err.println("  " + line))) {
      QmpHypervisor h = c.guests().get(0);
      h.console().awaitEvent(e -> e.is("CPU"), Duration.ofMinutes(2));
      begin = System.nanoTime();
      for (int k = 1; k <= checkpoints; k++) {
        sleepUntil(begin + k * everySeconds * 1_000_000_000L);
        long start = System.nanoTime();
        CheckpointResult r = c.checkpoint(false, line -> {});
        starts.add(start);
        results.add(r);
        System.err.printf(
            "checkpoint %d/%d: downtime %.0f ms, epoch %.0f ms%n",
            k, checkpoints, r.downtimeNs() / 1e6, r.totalNs() / 1e6);
      }
      // a full period after the last checkpoint, so its control and its reference are covered
      sleepUntil(begin + (checkpoints + 1) * everySeconds * 1_000_000_000L);
      end = System.nanoTime();
      for (SerialLine line : h.console().lines()) {
        line.event()
            .filter(e -> e.is("CPU") && e.get("n") != null)
            .ifPresent(e -> ticks.add(new Tick(e.getLong("n"), line.seenNanos())));
      }
    }
    CheckpointCost cost = new CheckpointCost(ticks, LEAD_SECONDS, windowSeconds, reachSeconds);
    List<Long> controls = new ArrayList<>();
    for (long s : starts) {
      controls.add(s + everySeconds * 500_000_000L);
    }
    List<Estimate> real = cost.at(starts);
    List<Estimate> control = cost.at(controls);
    if (real.size() < 2 || control.size() < 2) {
      System.err.printf(
          "only %d checkpoint and %d control estimates from %d ticks: the guest's progress lines"
              + " did not cover the run (serial log in %s)%n",
          real.size(), control.size(), ticks.size(), dir);
      return 1;
    }
    double rounds = ticks.get(ticks.size() - 1).rounds() - ticks.get(0).rounds();
    double seconds = (ticks.get(ticks.size() - 1).nanos() - ticks.get(0).nanos()) / 1e9;
    print(cost, starts, controls, results, rounds / seconds, (end - begin) / 1e9);
    PathUtils.deleteDirectory(dir);
    return 0;
  }

  private void print(
      CheckpointCost cost,
      List<Long> starts,
      List<Long> controls,
      List<CheckpointResult> results,
      double meanRate,
      double runSeconds) {
    List<Estimate> real = cost.at(starts);
    List<Estimate> control = cost.at(controls);
    Summary lost = Summary.of(real.stream().map(Estimate::lostSeconds).toList());
    Summary placebo = Summary.of(control.stream().map(Estimate::lostSeconds).toList());
    Summary downtime = Summary.of(results.stream().map(r -> r.downtimeNs() / 1e9).toList());
    System.out.printf(
        "%d checkpoints every %d s over %.0f s; guest rate %.1f rounds/s; window %.0f s after each"
            + " start, reference %.0f s each side%n%n",
        results.size(), everySeconds, runSeconds, meanRate, windowSeconds, reachSeconds);
    System.out.println(
        "| estimate at | n | lost s per event, mean ± 95% CI | sd | overhead at one per "
            + everySeconds
            + " s, mean (95% CI) |");
    System.out.println("|---|--:|--:|--:|--:|");
    row("checkpoint start", lost);
    row("half-way (control)", placebo);
    System.out.printf(
        "%nDowntime (first stop to last cont): mean %.3f s, sd %.3f s, so pauses alone are %.2f%%"
            + " of wall time.%n",
        downtime.mean(), downtime.sd(), 100 * downtime.mean() / everySeconds);
    System.out.println();
    System.out.println("| # | lost s | control lost s | downtime s | reference rounds/s |");
    System.out.println("|--:|--:|--:|--:|--:|");
    for (int i = 0; i < results.size(); i++) {
      System.out.printf(
          "| %d | %s | %s | %.3f | %s |%n",
          i + 1,
          cost.at(starts.get(i)).map(e -> String.format("%.3f", e.lostSeconds())).orElse("-"),
          cost.at(controls.get(i)).map(e -> String.format("%.3f", e.lostSeconds())).orElse("-"),
          results.get(i).downtimeNs() / 1e9,
          cost.at(starts.get(i)).map(e -> String.format("%.1f", e.referenceRate())).orElse("-"));
    }
  }

  private void row(String label, Summary s) {
    System.out.printf(
        "| %s | %d | %.3f ± %.3f | %.3f | %.2f%% (%.2f%% to %.2f%%) |%n",
        label,
        s.n(),
        s.mean(),
        s.halfWidth95(),
        s.sd(),
        overhead(s.mean()),
        overhead(s.mean() - s.halfWidth95()),
        overhead(s.mean() + s.halfWidth95()));
  }

  /** Run-time increase when {@code lost} seconds of progress go per period. */
  private double overhead(double lost) {
    return 100 * lost / (everySeconds - lost);
  }

  private static void sleepUntil(long nanos) throws InterruptedException {
    long wait = nanos - System.nanoTime();
    if (wait > 0) {
      Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
    }
  }
}
