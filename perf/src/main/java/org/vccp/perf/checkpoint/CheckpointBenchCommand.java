package org.vccp.perf.checkpoint;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.vccp.checkpoint.protocol.CheckpointResult;
import org.vccp.checkpoint.protocol.Restorer;
import org.vccp.cli.cluster.Cluster;
import org.vccp.cli.cluster.ClusterSpec;
import org.vccp.cli.demo.CheckpointDemo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Downtime and total time of VCCP checkpoints against the naive procedure, side by side on the same
 * running cluster, for clusters of 1, 2 and 4 real QEMU guests under udp-seq traffic; then the
 * restore time from the last VCCP checkpoint.
 */
@Command(
    name = "checkpoint",
    mixinStandardHelpOptions = true,
    description = {
      "Checkpoint downtime (first stop to last cont) and total time, VCCP vs the naive",
      "procedure (stop/save/cont, no holds), alternating on the same cluster; restore time;",
      "frames held per checkpoint. Prints a markdown table."
    })
public final class CheckpointBenchCommand implements Callable<Integer> {
  @Option(names = "--guests", split = ",", description = "Cluster sizes (default 1,2,4).")
  List<Integer> sizes = List.of(1, 2, 4);

  @Option(names = "--rounds", description = "Checkpoints per mode and size (default 5).")
  int rounds = 5;

  @Option(names = "--memory-mb", description = "Guest memory (default 128).")
  int memoryMb = 128;

  @Option(
      names = "--rate",
      description = "udp-seq datagrams/s each way between pair members (default 200).")
  int rate = 200;

  @Override
  public Integer call() throws Exception {
    List<String> rows = new ArrayList<>();
    rows.add(
        "| guests | mode | downtime ms median (min–max) | total ms median | held frames (mean) | restore s |");
    rows.add("|---|---|---|---|---|---|");
    for (int n : sizes) {
      Path dir = Files.createTempDirectory("vccp-ckbench-");
      ClusterSpec spec = spec(n);
      try (Cluster c =
          Cluster.up(spec, dir, dir.resolve("run"), line -> System.err.println("  " + line))) {
        if (n >= 2) {
          CheckpointDemo.awaitReceiving(c, rate * 2L);
        } else {
          Thread.sleep(2000);
        }
        List<CheckpointResult> vccp = new ArrayList<>();
        List<CheckpointResult> naive = new ArrayList<>();
        for (int r = 0; r < rounds; r++) {
          vccp.add(c.checkpoint(false, line -> {}));
          naive.add(c.checkpoint(true, line -> {}));
        }
        c.checkpoint(false, line -> {});
        c.killGuests();
        Restorer.Restored restored = c.restore(null, line -> {});
        rows.add(row(n, "VCCP", vccp, String.format("%.2f", restored.restoreNs() / 1e9)));
        rows.add(row(n, "naive", naive, "-"));
      }
    }
    rows.forEach(System.out::println);
    return 0;
  }

  private ClusterSpec spec(int n) {
    ClusterSpec spec = new ClusterSpec();
    spec.name = "ckbench" + ProcessHandle.current().pid() + "n" + n;
    spec.guestKind = "qemu"; // the numbers are about QEMU; never fall back to simulated guests
    spec.memoryMb = memoryMb;
    for (int i = 1; i <= n; i++) {
      ClusterSpec.Guest g = new ClusterSpec.Guest();
      g.name = "g" + i;
      g.ip = "10.0.0." + i + "/24";
      if (n >= 2) {
        int peer = i % 2 == 1 ? Math.min(i + 1, n) : i - 1;
        g.peer = "10.0.0." + peer;
        g.workloads = List.of("udp-seq-recv", "udp-seq-send");
        g.rate = rate;
        g.count = 1_000_000;
        g.flow = 1;
      }
      spec.guests.add(g);
    }
    return spec;
  }

  private static String row(int n, String mode, List<CheckpointResult> rs, String restore) {
    double[] down = rs.stream().mapToDouble(r -> r.downtimeNs() / 1e6).sorted().toArray();
    double[] total = rs.stream().mapToDouble(r -> r.totalNs() / 1e6).sorted().toArray();
    double held = rs.stream().mapToLong(CheckpointResult::heldFrames).average().orElse(0);
    return String.format(
        "| %d | %s | %.0f (%.0f–%.0f) | %.0f | %.1f | %s |",
        n,
        mode,
        down[down.length / 2],
        down[0],
        down[down.length - 1],
        total[total.length / 2],
        held,
        restore);
  }
}
