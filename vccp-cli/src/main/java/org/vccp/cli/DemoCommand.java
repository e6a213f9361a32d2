package org.vccp.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.vccp.cli.demo.TwoGuestRun;
import org.vccp.qemu.guest.QemuCommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code vccp demo}: the main job, shown end to end. */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "Start vccp switch and two real QEMU guests (one attached in each direction), let them"
          + " ping each other and move a file over HTTP through the switch, and print what"
          + " happened. Exit status 0 when every ping was answered and the file arrived intact.",
      ""
    })
final class DemoCommand implements Callable<Integer> {
  @Option(
      names = "--size-mb",
      description = "Size of the HTTP transfer (default ${DEFAULT-VALUE}).")
  int sizeMb = 8;

  @Option(names = "--pings", description = "Pings each guest sends (default ${DEFAULT-VALUE}).")
  int pings = 5;

  @Option(names = "--keep", description = "Keep the run directory (logs, serial consoles).")
  boolean keep;

  @Override
  public Integer call() throws Exception {
    // The demo prints its own progress; per-connection switch logs would interleave with it.
    System.setProperty("org.slf4j.simpleLogger.log.org.vccp.vnet", "warn");
    if (!QemuCommandLine.qemuAvailable()) {
      System.err.println(
          "vccp demo: QEMU is not installed (qemu-system-x86_64 not found). Install it with"
              + " `sudo apt-get install -y --no-install-recommends qemu-system-x86`, then run"
              + " ./vccp demo again.");
      return 1;
    }
    Path dir = Files.createTempDirectory("vccp-demo-");
    long t0 = System.nanoTime();
    try (TwoGuestRun run =
        new TwoGuestRun(
            dir, msg -> System.out.printf("[%5.1fs] %s%n", (System.nanoTime() - t0) / 1e9, msg))) {
      TwoGuestRun.Result r = run.run(sizeMb, pings);
      System.out.println();
      System.out.println("Guests");
      System.out.printf("  %-4s %-10s %-14s %s%n", "NAME", "BOOT (ms)", "PINGS OK", "AVG RTT (ms)");
      for (var g : r.guests()) {
        System.out.printf(
            "  %-4s %-10d %-14s %.2f%n",
            g.name(), g.bootMs(), g.pingsOk() + "/" + g.pingsSent(), g.avgRttMs());
      }
      System.out.println("Switch ports");
      System.out.printf(
          "  %-4s %-20s %-10s %-10s %s%n", "PORT", "CONNECTION", "RX FRAMES", "TX FRAMES", "DROPS");
      for (var p : r.ports()) {
        System.out.printf(
            "  %-4s %-20s %-10d %-10d %d%n",
            p.name(), p.direction(), p.rxFrames(), p.txFrames(), p.drops());
      }
      System.out.printf(
          "HTTP %d MB g1 -> g2: %s (served md5 %s, fetched md5 %s, %d ms guest time)%n",
          sizeMb,
          r.md5Matches() ? "intact" : "CORRUPTED OR MISSING",
          r.servedMd5(),
          r.fetchedMd5(),
          r.fetchMs());
      System.out.println(r.clean() ? "demo: all clean" : "demo: FAILED (see the table above)");
      return r.clean() ? 0 : 1;
    } finally {
      if (keep) {
        System.out.println("run directory kept: " + dir);
      } else {
        deleteTree(dir);
      }
    }
  }

  private static void deleteTree(Path dir) {
    try (var walk = Files.walk(dir)) {
      walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (java.io.IOException ignored) {
      // best effort
    }
  }
}
