package org.vccp.perf.loadgen;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The comparison table over several rounds: each row is a peer's median run. */
class ComparisonReportTest {
  private static final LoadSpec MAX = LoadSpec.of(1, 1, 64, SendMode.MAX, 0, 1_000, 2_000);
  private static final LoadSpec PACED = LoadSpec.of(1, 1, 64, SendMode.PACED, 10_000, 1_000, 2_000);

  private static BenchmarkRun run(String peer, LoadSpec spec, double fps, long p99Us) {
    LoadResult.Latency latency =
        new LoadResult.Latency(1_000, 20_000, p99Us * 1_000, p99Us * 2_000, p99Us * 3_000, 30_000);
    LoadResult result =
        new LoadResult(
            spec,
            2.0,
            0,
            0,
            fps,
            (long) (fps * 2),
            fps,
            fps * 64 * 8 / 1e9,
            0,
            0,
            0,
            0,
            0,
            0,
            latency,
            List.of(),
            spec.mode() == SendMode.PACED
                ? new LoadResult.Latency(1_000, 100, p99Us * 100, p99Us * 200, p99Us * 300, 500)
                : new LoadResult.Latency(0, 0, 0, 0, 0, 0));
    return BenchmarkRun.succeeded(peer, result, 100 * 1024, new CpuSample.Usage(0.3, 1.0, 0.0));
  }

  /** The report against the hub: 2 s warmup, 20 s for the paced row, 10 s measured. */
  private static String report(List<BenchmarkRun> runs) {
    return new ComparisonReport(
            new MachineInfo(2, "cpu", "6.1", "17", "qemu 7.2"), "qemu-hub", 2_000, 20_000, 10_000)
        .markdown(runs);
  }

  /** The table line of {@code peer} in the group of rows of {@code workload}. */
  private static String row(String markdown, String peer, String workload) {
    String current = null;
    for (String line : markdown.lines().toList()) {
      String[] cells = line.split("\\|");
      if (cells.length < 3 || !line.startsWith("|")) {
        continue;
      }
      if (!cells[1].isBlank()) {
        current = cells[1].strip();
      }
      if (workload.equals(current) && cells[2].strip().equals(peer)) {
        return line;
      }
    }
    throw new AssertionError("no row for " + peer + " in " + workload + ":\n" + markdown);
  }

  @Test
  void eachRowIsTheMedianRunAndRatiosCompareMedians() {
    List<BenchmarkRun> runs =
        List.of(
            run("vccp", MAX, 9_000_000, 900),
            run("qemu-hub", MAX, 600_000, 100),
            run("vccp", MAX, 5_000_000, 900),
            run("qemu-hub", MAX, 700_000, 100),
            run("vccp", MAX, 7_000_000, 900),
            BenchmarkRun.failed("qemu-hub", MAX, "hub did not start"),
            run("vccp", PACED, 10_000, 400),
            run("qemu-hub", PACED, 10_000, 150),
            run("vccp", PACED, 10_000, 120),
            run("qemu-hub", PACED, 10_000, 90),
            run("vccp", PACED, 10_000, 2_000),
            run("qemu-hub", PACED, 10_000, 300));
    String md = report(runs);

    String vccpMax = row(md, "vccp", MAX.label());
    // median of 5 M, 7 M, 9 M is 7 M; the hub's median of two (600 k, 700 k) is the worse, 600 k
    assertThat(vccpMax).contains("| 7,000,000 |").contains("| 11.67× |");
    assertThat(vccpMax).contains("| 3 | 5,000,000–9,000,000 |");
    String hubMax = row(md, "qemu-hub", MAX.label());
    assertThat(hubMax).contains("| 600,000 |").contains("| 3 (1 failed) |");

    // paced rows by p99: vccp 120 / 400 / 2000 → 400; hub 90 / 150 / 300 → 150
    String vccpPaced = row(md, "vccp", PACED.label());
    assertThat(vccpPaced).contains("| 400.0 |").contains("| p99 120.0–2000.0 |");
    assertThat(row(md, "qemu-hub", PACED.label())).contains("| 150.0 |");
    assertThat(cells(vccpPaced).get(4)).as("no rate ratio on a paced row").isEqualTo("–");
    assertThat(md).contains("2 s warmup (paced row: 20 s)");
    // the generator's lateness of the same median runs (a tenth of their p99 in this test)
    assertThat(md).contains("p99 / p99.9: vccp 40.0 / 80.0 µs, qemu-hub 15.0 / 30.0 µs.");
    everyLineHasTheHeadersCells(md);
  }

  @Test
  void aPeerWhoseRunsAllFailedSaysWhy() {
    String md =
        report(
            List.of(
                run("vccp", MAX, 1_000_000, 100),
                BenchmarkRun.failed("qemu-hub", MAX, "qemu-system-x86_64 not found\nmore")));
    String hub = row(md, "qemu-hub", MAX.label());
    assertThat(hub).contains("failed: qemu-system-x86_64 not found");
    assertThat(cells(hub)).endsWith("1 (1 failed)", "–");
    assertThat(cells(row(md, "vccp", MAX.label())).get(4))
        .as("ratio to no baseline")
        .isEqualTo("–");
    everyLineHasTheHeadersCells(md);
  }

  private static List<String> cells(String line) {
    String[] c = line.split("\\|", -1);
    return java.util.Arrays.stream(c, 1, c.length - 1).map(String::strip).toList();
  }

  private static void everyLineHasTheHeadersCells(String md) {
    List<String> table = md.lines().filter(l -> l.startsWith("|")).toList();
    int columns = cells(table.get(0)).size();
    assertThat(columns).isEqualTo(17);
    for (String line : table) {
      assertThat(cells(line)).as(line).hasSize(columns);
    }
  }
}
