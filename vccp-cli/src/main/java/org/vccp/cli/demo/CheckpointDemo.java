package org.vccp.cli.demo;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.vccp.checkpoint.protocol.CheckpointResult;
import org.vccp.checkpoint.protocol.Restorer;
import org.vccp.checkpoint.verify.VerifyReport;
import org.vccp.cli.cluster.Cluster;
import org.vccp.cli.cluster.ClusterSpec;
import org.vccp.cli.cluster.GuestKind;
import org.vccp.qemu.hypervisor.QmpHypervisor;
import org.vccp.qemu.image.GuestEvent;

/**
 * The main job: a cluster of guests in pairs, each pair exchanging numbered UDP datagrams both ways
 * and moving an HTTP file; several checkpoints under that traffic; every guest killed; restore from
 * the last checkpoint; the workloads run on to the end; then the guests' own reports and {@code
 * vccp verify} on the switch's recording and the checkpoints decide whether anything was lost,
 * duplicated, reordered or orphaned.
 *
 * <p>With simulated guests ({@link Settings#simulated}, or QEMU absent) each guest runs one
 * workload: in each pair the first sends numbered datagrams and the second receives them, and there
 * is no HTTP file; the checkpoints, kill, restore and verify are the same code.
 */
public final class CheckpointDemo {
  private static final Duration WORK = Duration.ofSeconds(300);

  /**
   * Knobs, with the demo's defaults.
   *
   * @param simulated run simulated guests ({@code vccp sim-guest}) instead of QEMU
   */
  public record Settings(
      int pairs, int rate, int seconds, int checkpoints, int sizeMb, boolean simulated) {
    public static final Settings DEFAULT = new Settings(2, 100, 40, 3, 4, false);

    /** QEMU guests. */
    public Settings(int pairs, int rate, int seconds, int checkpoints, int sizeMb) {
      this(pairs, rate, seconds, checkpoints, sizeMb, false);
    }

    /** The same with simulated guests on or off. */
    public Settings withSimulated(boolean on) {
      return new Settings(pairs, rate, seconds, checkpoints, sizeMb, on);
    }

    int count() {
      return rate * seconds;
    }
  }

  /**
   * One guest's end-of-run report: a receiver's udp-seq counts; for a simulated sender ({@code
   * sender}) {@code received} is what it sent and {@code gaps} its failed sends.
   */
  public record GuestResult(
      String name,
      long received,
      long expected,
      long gaps,
      long dups,
      long reorders,
      String fetch,
      boolean sender) {
    boolean clean() {
      return received == expected
          && gaps == 0
          && dups == 0
          && reorders == 0
          && !fetch.startsWith("FAILED")
          && !fetch.contains("unknown");
    }
  }

  /** Everything the final table shows. */
  public record Result(
      List<CheckpointResult> checkpoints,
      long restoreNs,
      long replayed,
      List<GuestResult> guests,
      VerifyReport verify) {
    public boolean clean() {
      return guests.stream().allMatch(GuestResult::clean) && verify.exitStatus() == 0;
    }
  }

  private final Path dir;
  private final Consumer<String> progress;

  public CheckpointDemo(Path dir, Consumer<String> progress) {
    this.dir = dir;
    this.progress = progress;
  }

  /**
   * The cluster: pairs of guests; in each pair both send and receive, one serves HTTP (simulated:
   * the first sends, the second receives).
   */
  static ClusterSpec spec(Settings s) {
    ClusterSpec spec = new ClusterSpec();
    spec.name = "demo" + ProcessHandle.current().pid();
    spec.guestKind = (s.simulated() ? GuestKind.SIMULATED : GuestKind.QEMU).toString();
    spec.store = "checkpoints";
    spec.record = "recording";
    for (int p = 0; p < s.pairs(); p++) {
      int a = 2 * p + 1;
      int b = 2 * p + 2;
      spec.guests.add(
          guest(s, a, b, List.of("http-serve", "udp-seq-recv", "udp-seq-send"), "udp-seq-send"));
      spec.guests.add(
          guest(
              s, b, a, List.of("udp-seq-recv", "udp-seq-send", "http-fetch-md5"), "udp-seq-recv"));
    }
    return spec;
  }

  private static ClusterSpec.Guest guest(
      Settings s, int n, int peer, List<String> workloads, String simWorkload) {
    ClusterSpec.Guest g = new ClusterSpec.Guest();
    g.simWorkload = simWorkload;
    g.name = "g" + n;
    g.ip = "10.0.0." + n + "/24";
    g.peer = "10.0.0." + peer;
    g.workloads = workloads;
    g.rate = s.rate();
    g.count = s.count();
    g.sizeMb = s.sizeMb();
    g.flow = 1;
    return g;
  }

  public Result run(Settings s) throws Exception {
    ClusterSpec spec = spec(s);
    try (Cluster cluster = Cluster.up(spec, dir, dir.resolve("run"), progress)) {
      // a checkpoint every 3 s of traffic, never waiting for more than the workload sends
      awaitReceiving(cluster, Math.min(s.count(), s.rate() * 3L));
      List<CheckpointResult> checkpoints = new ArrayList<>();
      for (int i = 0; i < s.checkpoints(); i++) {
        checkpoints.add(cluster.checkpoint(false, progress));
        awaitReceiving(cluster, Math.min(s.count(), s.rate() * (3L + 3L * (i + 1))));
      }
      java.util.Map<String, String> served = new java.util.HashMap<>();
      for (QmpHypervisor h : cluster.guests()) {
        h.console().events().stream()
            .filter(e -> e.is(GuestEvent.HTTP_SERVE))
            .findFirst()
            .ifPresent(e -> served.put(h.name(), e.get("md5")));
      }
      progress.accept("killing every guest (kill -9), as a crash would");
      cluster.killGuests();
      Restorer.Restored restored = cluster.restore(null, progress);
      progress.accept(
          "workloads running on to the end ("
              + s.count()
              + " datagrams "
              + (s.simulated() ? "one way" : "each way")
              + " per pair)");
      List<GuestResult> guests = new ArrayList<>();
      for (QmpHypervisor h : cluster.guests()) {
        GuestResult g = result(cluster, h, s.count(), served);
        guests.add(g);
        progress.accept(
            h.name()
                + " finished: "
                + (g.sender() ? "sent " : "received ")
                + g.received()
                + "/"
                + g.expected());
      }
      progress.accept("running vccp verify on the recording and the checkpoints");
      VerifyReport report = cluster.verify(dir.resolve("verify.json"), System.err);
      return new Result(
          checkpoints, restored.restoreNs(), restored.replayedFrames(), guests, report);
    }
  }

  /** A guest's DONE report (and for an HTTP fetcher its download), waiting for them. */
  private static GuestResult result(
      Cluster cluster, QmpHypervisor h, long count, java.util.Map<String, String> served) {
    if (!cluster.runs(h.name(), "udp-seq-recv")) {
      GuestEvent done =
          h.console()
              .awaitEvent(
                  e -> e.is(GuestEvent.DONE) && "udp-seq-send".equals(e.get("workload")), WORK);
      return new GuestResult(
          h.name(), done.getLong("sent"), count, done.getLong("errors"), 0, 0, "-", true);
    }
    GuestEvent done =
        h.console()
            .awaitEvent(
                e -> e.is(GuestEvent.DONE) && "udp-seq-recv".equals(e.get("workload")), WORK);
    String fetch = "-";
    if (cluster.runs(h.name(), "http-fetch-md5")) {
      GuestEvent f = h.console().awaitEvent(e -> e.is(GuestEvent.FETCH), WORK);
      // in each pair the server is the guest before the fetcher; its md5 was read before the crash
      String server = "g" + (Integer.parseInt(h.name().substring(1)) - 1);
      String expected = served.get(server);
      fetch =
          !f.ok()
              ? "FAILED"
              : expected == null
                  ? f.get("md5") + " (server's md5 unknown)"
                  : f.get("md5").equals(expected)
                      ? f.get("md5") + " = " + server + "'s"
                      : "FAILED (" + server + " served " + expected + ")";
    }
    return new GuestResult(
        h.name(),
        done.getLong("received"),
        done.getLong("expected"),
        done.getLong("gaps"),
        done.getLong("dups"),
        done.getLong("reorders"),
        fetch,
        false);
  }

  /** Waits until every guest's udp-seq receiver has counted at least {@code atLeast} datagrams. */
  public static void awaitReceiving(Cluster cluster, long atLeast) {
    for (QmpHypervisor h : cluster.guests()) {
      if (!cluster.runs(h.name(), "udp-seq-recv")) {
        continue;
      }
      h.console()
          .awaitEvent(
              e ->
                  e.is("UDPSEQ")
                      && "recv".equals(e.get("role"))
                      && e.getLong("received") >= atLeast,
              WORK);
    }
  }
}
