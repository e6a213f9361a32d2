package org.vccp.perf.loadgen;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A markdown section comparing peers workload by workload, ready to paste into BENCHMARKS.md: the
 * machine, how the numbers were taken, and one table row per (workload, peer) with the delivered
 * rate relative to the baseline peer.
 */
public final class ComparisonReport {
  private final MachineInfo machine;
  private final String baselinePeer;
  private final long warmupMs;
  private final long pacedWarmupMs;
  private final long durationMs;

  public ComparisonReport(
      MachineInfo machine,
      String baselinePeer,
      long warmupMs,
      long pacedWarmupMs,
      long durationMs) {
    this.machine = machine;
    this.baselinePeer = baselinePeer;
    this.warmupMs = warmupMs;
    this.pacedWarmupMs = pacedWarmupMs;
    this.durationMs = durationMs;
  }

  /** The whole section for {@code runs}, grouped by workload in first-seen order. */
  public String markdown(List<BenchmarkRun> runs) {
    StringBuilder out = new StringBuilder();
    out.append("## Switch throughput and latency: ")
        .append(String.join(" vs ", runs.stream().map(BenchmarkRun::peer).distinct().toList()))
        .append("\n\n");
    out.append("- Machine: ").append(machine.summary()).append('\n');
    out.append(
        String.format(
            Locale.ROOT,
            "- Generator: `vccp-perf compare`, one client thread per port over Unix stream sockets"
                + " (QEMU `-netdev stream` framing), %s s warmup (paced row: %s s), %s s measured;"
                + " a fresh peer per run.%n",
            seconds(warmupMs),
            seconds(pacedWarmupMs),
            seconds(durationMs)));
    out.append(
        "- Each row is one peer's median run of the rounds that succeeded (by frames/s; paced"
            + " rows by p99; of an even number, the worse of the middle two), the peers taking"
            + " turns round by round; Range is the lowest and highest of those rounds. Ratios"
            + " compare median frames/s (none on paced rows, whose rate is fixed).\n");
    out.append(
        "- Frames/s and Gbit/s are delivered frames inside the window; Gbit/s counts"
            + " Ethernet frame bytes (no length prefix, no FCS). Lost/dup/reordered cover the whole"
            + " run after a drain.\n");
    out.append(
        "- Latency is one-way, same-host `System.nanoTime()`. At max rate it is mostly"
            + " queueing in socket buffers; paced rows stamp the intended send time (coordinated"
            + " omission corrected).\n");
    out.append(
        "- Peer cores: CPU the peer process used during the run, on average. Other cores:"
            + " everything else on the host (not the generator, not the peer); a row with a high"
            + " value ran on a busy machine and should be repeated.\n\n");
    out.append("| Workload | Peer | Frames/s | Gbit/s | vs ")
        .append(baselinePeer)
        .append(" | Lost | Dup | Reordered | p50 µs | p99 µs | p99.9 µs | Max µs")
        .append(" | Peer RSS MiB | Peer cores | Other cores | Rounds | Range |\n");
    out.append("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|\n");

    Map<String, Map<String, List<BenchmarkRun>>> byWorkload = new LinkedHashMap<>();
    for (BenchmarkRun run : runs) {
      byWorkload
          .computeIfAbsent(run.workload(), w -> new LinkedHashMap<>())
          .computeIfAbsent(run.peer(), p -> new ArrayList<>())
          .add(run);
    }
    List<String> lateness = new ArrayList<>();
    for (Map.Entry<String, Map<String, List<BenchmarkRun>>> e : byWorkload.entrySet()) {
      List<BenchmarkRun> baselineRuns = e.getValue().getOrDefault(baselinePeer, List.of());
      BenchmarkRun baselineMedian = median(baselineRuns);
      double baseline =
          baselineMedian == null ? Double.NaN : baselineMedian.result().rxFramesPerSecond();
      boolean first = true;
      for (Map.Entry<String, List<BenchmarkRun>> byPeer : e.getValue().entrySet()) {
        List<BenchmarkRun> peerRuns = byPeer.getValue();
        BenchmarkRun run = median(peerRuns);
        out.append("| ").append(first ? e.getKey() : "").append(" | ").append(byPeer.getKey());
        first = false;
        if (run == null) {
          out.append(" | failed: ").append(oneLine(peerRuns.get(0).error())).append(" |");
          out.append(" |".repeat(12)).append(' ').append(rounds(peerRuns)).append(" | – |\n");
          continue;
        }
        LoadResult r = run.result();
        LoadResult.Latency l = r.latency();
        LoadResult.Latency late = r.sendLateness();
        if (paced(run) && late != null && late.samples() > 0) {
          lateness.add(
              byPeer.getKey() + " " + us(late.p99Ns()) + " / " + us(late.p999Ns()) + " µs");
        }
        out.append(
            String.format(
                Locale.ROOT,
                " | %,.0f | %.3f | %s | %,d | %,d | %,d | %s | %s | %s | %s | %s | %s | %s | %s"
                    + " | %s |%n",
                r.rxFramesPerSecond(),
                r.rxGbitPerSecond(),
                paced(run) ? "–" : ratio(r.rxFramesPerSecond(), baseline),
                r.lost(),
                r.duplicated(),
                r.reordered(),
                us(l.p50Ns()),
                us(l.p99Ns()),
                us(l.p999Ns()),
                us(l.maxNs()),
                run.peerRssKib() < 0
                    ? "–"
                    : String.format(Locale.ROOT, "%.0f", run.peerRssKib() / 1024.0),
                cores(run.cpu() == null ? -1 : run.cpu().peerCores()),
                cores(run.cpu() == null ? -1 : run.cpu().otherCores()),
                rounds(peerRuns),
                range(peerRuns)));
      }
    }
    if (!lateness.isEmpty()) {
      out.append(
              "\nThe generator's own lateness in the paced median runs (when it stamped each frame"
                  + " for sending minus the frame's intended send time; part of their latency),"
                  + " p99 / p99.9: ")
          .append(String.join(", ", lateness))
          .append(".\n");
    }
    return out.toString();
  }

  /** A paced row is judged by its latency, a max-rate row by its rate. */
  private static boolean paced(BenchmarkRun run) {
    return run.result().spec().mode() == SendMode.PACED;
  }

  /** Sorted best first: the highest rate, or for paced rows the lowest p99. */
  private static List<BenchmarkRun> ranked(List<BenchmarkRun> runs) {
    return runs.stream()
        .filter(BenchmarkRun::ok)
        .sorted(
            Comparator.comparingDouble(
                (BenchmarkRun r) ->
                    paced(r) ? r.result().latency().p99Ns() : -r.result().rxFramesPerSecond()))
        .toList();
  }

  /**
   * The median of the runs that succeeded (of an even number, the worse of the middle two), or null
   * when none did.
   */
  static BenchmarkRun median(List<BenchmarkRun> runs) {
    List<BenchmarkRun> ok = ranked(runs);
    return ok.isEmpty() ? null : ok.get(ok.size() / 2);
  }

  private static String rounds(List<BenchmarkRun> runs) {
    long failed = runs.stream().filter(r -> !r.ok()).count();
    return runs.size() + (failed > 0 ? " (" + failed + " failed)" : "");
  }

  private static String range(List<BenchmarkRun> runs) {
    List<BenchmarkRun> ok = ranked(runs);
    if (ok.size() < 2) {
      return "–";
    }
    BenchmarkRun best = ok.get(0);
    BenchmarkRun worst = ok.get(ok.size() - 1);
    if (paced(best)) {
      return "p99 "
          + us(best.result().latency().p99Ns())
          + "–"
          + us(worst.result().latency().p99Ns());
    }
    return String.format(
        Locale.ROOT,
        "%,.0f–%,.0f",
        worst.result().rxFramesPerSecond(),
        best.result().rxFramesPerSecond());
  }

  private static String ratio(double value, double baseline) {
    if (Double.isNaN(baseline) || baseline <= 0) {
      return "–";
    }
    return String.format(Locale.ROOT, "%.2f×", value / baseline);
  }

  private static String cores(double cores) {
    return cores < 0 ? "–" : String.format(Locale.ROOT, "%.2f", cores);
  }

  private static String us(long nanos) {
    return String.format(Locale.ROOT, "%.1f", nanos / 1000.0);
  }

  private static String seconds(long ms) {
    return ms % 1000 == 0 ? Long.toString(ms / 1000) : String.format(Locale.ROOT, "%.1f", ms / 1e3);
  }

  private static String oneLine(String error) {
    String line = error == null ? "unknown error" : error.lines().findFirst().orElse("").strip();
    if (line.length() > 160) {
      line = line.substring(0, 157) + "...";
    }
    return line.replace("|", "\\|");
  }
}
