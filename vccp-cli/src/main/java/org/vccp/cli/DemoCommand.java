package org.vccp.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.apache.commons.io.file.PathUtils;
import org.vccp.cli.demo.CheckpointDemo;
import org.vccp.qemu.guest.QemuCommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code vccp demo}: the main job, shown end to end. */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "The main job, end to end: build the guest image, start a switch and a cluster of real"
          + " QEMU guests in pairs (numbered UDP datagrams both ways, an HTTP file with its MD5),"
          + " take checkpoints under that traffic, kill every guest, restore the last checkpoint,"
          + " let the workloads finish, and check the result with the guests' own reports and"
          + " vccp verify. Exit status 0 only when nothing was lost, duplicated, reordered or"
          + " orphaned.",
      "Without QEMU (or with --simulated) the guests are simulated (vccp sim-guest processes"
          + " driven over QMP by the same checkpoint code); in each pair one sends numbered UDP"
          + " datagrams and the other receives them, and there is no HTTP file.",
      ""
    })
final class DemoCommand implements Callable<Integer> {
  @Option(names = "--pairs", description = "Guest pairs (default ${DEFAULT-VALUE}: 4 guests).")
  int pairs = CheckpointDemo.Settings.DEFAULT.pairs();

  @Option(
      names = "--rate",
      description = "UDP datagrams per second each way (default ${DEFAULT-VALUE}).")
  int rate = CheckpointDemo.Settings.DEFAULT.rate();

  @Option(
      names = "--seconds",
      description = "Length of the UDP workload (default ${DEFAULT-VALUE}).")
  int seconds = CheckpointDemo.Settings.DEFAULT.seconds();

  @Option(names = "--checkpoints", description = "Checkpoints to take (default ${DEFAULT-VALUE}).")
  int checkpoints = CheckpointDemo.Settings.DEFAULT.checkpoints();

  @Option(names = "--keep", description = "Keep the run directory (recording, checkpoints, logs).")
  boolean keep;

  @Option(
      names = "--simulated",
      description =
          "Run simulated guests (vccp sim-guest) even when QEMU is installed; without QEMU they"
              + " are used anyway.")
  boolean simulated;

  @Override
  public Integer call() throws Exception {
    // The demo prints its own progress; per-connection switch logs would interleave with it.
    System.setProperty("org.slf4j.simpleLogger.log.org.vccp", "warn");
    boolean sims = simulated || !QemuCommandLine.qemuAvailable();
    if (pairs < 1 || rate < 1 || seconds < 10 || checkpoints < 1) {
      throw new IllegalArgumentException(
          "need --pairs >= 1, --rate >= 1, --seconds >= 10, --checkpoints >= 1");
    }
    Path dir = Files.createTempDirectory("vccp-demo-");
    long t0 = System.nanoTime();
    if (sims) {
      System.out.println(
          "*** SIMULATED GUESTS: "
              + (simulated
                  ? "--simulated given"
                  : "QEMU is not installed (qemu-system-x86_64 not found)")
              + "; running vccp sim-guest processes instead of virtual machines (same QMP and"
              + " checkpoint code; one workload each, no HTTP)."
              + (simulated
                  ? ""
                  : " For real guests: apt-get install -y --no-install-recommends qemu-system-x86")
              + " ***");
    }
    try {
      CheckpointDemo.Result r =
          new CheckpointDemo(
                  dir,
                  msg -> System.out.printf("[%5.1fs] %s%n", (System.nanoTime() - t0) / 1e9, msg))
              .run(new CheckpointDemo.Settings(pairs, rate, seconds, checkpoints, 4, sims));
      print(r);
      System.out.println(r.clean() ? "demo: all clean" : "demo: FAILED (see the tables above)");
      return r.clean() ? 0 : 1;
    } finally {
      if (keep) {
        System.out.println("run directory kept: " + dir);
      } else {
        deleteTree(dir);
      }
    }
  }

  private static void print(CheckpointDemo.Result r) {
    System.out.println();
    System.out.println("Checkpoints");
    System.out.printf(
        "  %-6s %-14s %-12s %-13s %s%n",
        "EPOCH", "DOWNTIME (ms)", "TOTAL (ms)", "HELD FRAMES", "IMAGES (MiB)");
    for (var c : r.checkpoints()) {
      System.out.printf(
          "  %-6d %-14.0f %-12.0f %-13d %d%n",
          c.epoch(), c.downtimeNs() / 1e6, c.totalNs() / 1e6, c.heldFrames(), c.imageBytes() >> 20);
    }
    System.out.printf(
        "Restore from the last checkpoint: %.2f s, %d held frame(s) replayed%n",
        r.restoreNs() / 1e9, r.replayed());
    System.out.println("Guests (their own udp-seq reports after the restore)");
    System.out.printf(
        "  %-5s %-18s %-6s %-6s %-9s %s%n",
        "NAME", "RECEIVED", "GAPS", "DUPS", "REORDERS", "HTTP MD5");
    for (var g : r.guests()) {
      if (g.sender()) {
        System.out.printf(
            "  %-5s %-18s %-6s %-6s %-9s %s%n",
            g.name(), "sent " + g.received() + "/" + g.expected(), "-", "-", "-", g.fetch());
      } else {
        System.out.printf(
            "  %-5s %-18s %-6d %-6d %-9d %s%n",
            g.name(),
            g.received() + "/" + g.expected(),
            g.gaps(),
            g.dups(),
            g.reorders(),
            g.fetch());
      }
    }
    long sent = 0;
    long delivered = 0;
    long lost = 0;
    long dups = 0;
    long reordered = 0;
    long dropped = 0;
    for (var c : r.verify().channels()) {
      sent += c.sent();
      delivered += c.delivered();
      lost += c.lost();
      dups += c.duplicates();
      reordered += c.reordered();
      dropped += c.dropped();
    }
    var f = r.verify().findings();
    System.out.println("vccp verify (switch recording + checkpoints)");
    System.out.printf(
        "  frames switched %d, delivered %d, dropped with a reason %d, lost %d, duplicated %d, reordered %d%n",
        sent, delivered, dropped, lost, dups, reordered);
    System.out.printf(
        "  checkpoints checked %d, orphans %d, channel-state problems %d, restores checked %d, replays %d, errors %d, warnings %d%n",
        r.verify().checkpointsChecked(),
        f.count("checkpoint", "orphan"),
        f.count("checkpoint", "lost-at-checkpoint")
            + f.count("checkpoint", "extra-in-channel-state"),
        r.verify().restoresChecked(),
        r.verify().replays(),
        f.errors(),
        f.warnings());
  }

  private static void deleteTree(Path dir) {
    try {
      PathUtils.deleteDirectory(dir);
    } catch (java.io.IOException ignored) {
      // best effort: the demo's scratch directory is under /tmp
    }
  }
}
