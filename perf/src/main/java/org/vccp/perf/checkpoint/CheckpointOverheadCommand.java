package org.vccp.perf.checkpoint;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.vccp.cli.cluster.Cluster;
import org.vccp.cli.cluster.ClusterSpec;
import org.vccp.qemu.hypervisor.QmpHypervisor;
import org.vccp.qemu.image.GuestEvent;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * What periodic checkpoints cost a CPU-bound guest: the same `cpu` workload timed on the host (from
 * its start line to its DONE line), once with no checkpoints and once with a checkpoint every
 * {@code --every}, one cluster after the other on the same machine.
 */
@Command(
    name = "checkpoint-overhead",
    mixinStandardHelpOptions = true,
    description = {
      "Run time of a CPU-bound guest workload with no checkpoints vs a checkpoint every",
      "--every (default 60s), timed on the host. Prints a markdown table."
    })
public final class CheckpointOverheadCommand implements Callable<Integer> {
  @Option(names = "--rounds", description = "MD5 rounds of 1 MiB in the guest (default 4000).")
  int rounds = 4000;

  @Option(names = "--every-s", description = "Seconds between checkpoints (default 60).")
  int everySeconds = 60;

  @Option(names = "--memory-mb", description = "Guest memory (default 128).")
  int memoryMb = 128;

  @Override
  public Integer call() throws Exception {
    double plain = run(false)[0];
    double[] with = run(true);
    System.out.println("| checkpoints | workload s (host) | checkpoints taken | overhead |");
    System.out.println("|---|---|---|---|");
    System.out.printf("| none | %.2f | 0 | - |%n", plain);
    System.out.printf(
        "| every %d s | %.2f | %d | %+.2f%% |%n",
        everySeconds, with[0], (int) with[1], 100 * (with[0] - plain) / plain);
    return 0;
  }

  /** Returns {seconds, checkpoints}. */
  private double[] run(boolean checkpoints) throws Exception {
    Path dir = Files.createTempDirectory("vccp-overhead-");
    ClusterSpec spec = new ClusterSpec();
    spec.name = "overhead" + ProcessHandle.current().pid() + (checkpoints ? "c" : "n");
    spec.guestKind = "qemu";
    spec.memoryMb = memoryMb;
    ClusterSpec.Guest g = new ClusterSpec.Guest();
    g.name = "g1";
    g.ip = "10.0.0.1/24";
    g.workloads = List.of("cpu");
    g.count = rounds;
    spec.guests.add(g);
    try (Cluster c =
        Cluster.up(spec, dir, dir.resolve("run"), line -> System.err.println("  " + line))) {
      QmpHypervisor h = c.guests().get(0);
      h.console().awaitEvent(e -> e.is("CPU"), Duration.ofMinutes(2));
      long t0 = System.nanoTime();
      AtomicInteger taken = new AtomicInteger();
      ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
      if (checkpoints) {
        timer.scheduleAtFixedRate(
            () -> {
              try {
                c.checkpoint(false, line -> {});
                taken.incrementAndGet();
              } catch (Exception e) {
                System.err.println("checkpoint failed: " + e.getMessage());
              }
            },
            everySeconds,
            everySeconds,
            TimeUnit.SECONDS);
      }
      h.console()
          .awaitEvent(
              e -> e.is(GuestEvent.DONE) && "cpu".equals(e.get("workload")),
              Duration.ofMinutes(30));
      double s = (System.nanoTime() - t0) / 1e9;
      timer.shutdownNow();
      timer.awaitTermination(1, TimeUnit.MINUTES);
      System.err.printf(
          "cpu workload %s checkpoints: %.2f s%n", checkpoints ? "with" : "without", s);
      return new double[] {s, taken.get()};
    }
  }
}
