package org.vccp.perf.loadgen;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * A markdown section comparing peers workload by workload, ready to paste into BENCHMARKS.md: the
 * machine, how the numbers were taken, and one table row per (workload, peer) with the delivered
 * rate relative to the baseline peer.
 */
public final class ComparisonReport {
  private final MachineInfo machine;
  private final String baselinePeer;
  private final long warmupMs;
  private final long durationMs;

  public ComparisonReport(
      MachineInfo machine, String baselinePeer, long warmupMs, long durationMs) {
    this.machine = machine;
    this.baselinePeer = baselinePeer;
    this.warmupMs = warmupMs;
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
                + " (QEMU `-netdev stream` framing), %s s warmup, %s s measured; a fresh peer per"
                + " row.%n",
            seconds(warmupMs),
            seconds(durationMs)));
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
        .append(" | Peer RSS MiB | Peer cores | Other cores |\n");
    out.append("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n");

    Map<String, List<BenchmarkRun>> byWorkload = new LinkedHashMap<>();
    for (BenchmarkRun run : runs) {
      byWorkload.computeIfAbsent(run.workload(), w -> new ArrayList<>()).add(run);
    }
    for (Map.Entry<String, List<BenchmarkRun>> e : byWorkload.entrySet()) {
      double baseline =
          e.getValue().stream()
              .filter(r -> r.ok() && Objects.equals(r.peer(), baselinePeer))
              .mapToDouble(r -> r.result().rxFramesPerSecond())
              .findFirst()
              .orElse(Double.NaN);
      boolean first = true;
      for (BenchmarkRun run : e.getValue()) {
        out.append("| ").append(first ? e.getKey() : "").append(" | ").append(run.peer());
        first = false;
        if (!run.ok()) {
          out.append(" | failed: ").append(oneLine(run.error())).append(" |");
          out.append(" |".repeat(12)).append('\n');
          continue;
        }
        LoadResult r = run.result();
        LoadResult.Latency l = r.latency();
        out.append(
            String.format(
                Locale.ROOT,
                " | %,.0f | %.3f | %s | %,d | %,d | %,d | %s | %s | %s | %s | %s | %s | %s |%n",
                r.rxFramesPerSecond(),
                r.rxGbitPerSecond(),
                ratio(r.rxFramesPerSecond(), baseline),
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
                cores(run.cpu() == null ? -1 : run.cpu().otherCores())));
      }
    }
    return out.toString();
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
