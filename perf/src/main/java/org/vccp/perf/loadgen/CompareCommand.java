package org.vccp.perf.loadgen;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code vccp-perf compare}: the benchmark matrix against each peer in turn, then one markdown
 * table comparing them.
 */
@Command(
    name = "compare",
    mixinStandardHelpOptions = true,
    description =
        "Runs the benchmark matrix (1→1 64 B and 1500 B, 2→1 and 4→1 64 B at max rate, 1→1"
            + " 64 B paced) against the peers, row by row with the peers taking turns, and prints"
            + " a markdown comparison for BENCHMARKS.md.")
public final class CompareCommand implements Callable<Integer> {
  @Option(
      names = "--peers",
      paramLabel = "PEER",
      split = ",",
      defaultValue = "vccp,qemu-hub",
      description = "Peers in run order; the last is the baseline. Default: ${DEFAULT-VALUE}.")
  List<String> peers;

  @Option(
      names = "--duration",
      paramLabel = "DURATION",
      defaultValue = "10s",
      converter = DurationConverter.class,
      description = "Measurement window per row. Default: ${DEFAULT-VALUE}.")
  Duration duration;

  @Option(
      names = "--warmup",
      paramLabel = "DURATION",
      defaultValue = "2s",
      converter = DurationConverter.class,
      description = "Warmup per row. Default: ${DEFAULT-VALUE}.")
  Duration warmup;

  @Option(
      names = "--paced-warmup",
      paramLabel = "DURATION",
      defaultValue = "20s",
      converter = DurationConverter.class,
      description =
          "Warmup of the paced latency row: long enough for a JIT-compiled peer to finish"
              + " compiling its frame path, so the row measures steady state. Default:"
              + " ${DEFAULT-VALUE}.")
  Duration pacedWarmup;

  @Option(
      names = "--rounds",
      paramLabel = "N",
      defaultValue = "3",
      description =
          "Runs of each row per peer, the peers taking turns, so that a slow spell of the"
              + " machine falls on all of them alike; the report shows each row's median run."
              + " Default: ${DEFAULT-VALUE}.")
  int rounds;

  @Option(
      names = "--paced-rate",
      paramLabel = "FPS",
      defaultValue = "10000",
      description = "Frames/s of the paced latency row. Default: ${DEFAULT-VALUE}.")
  long pacedRate;

  @Option(names = "--output", paramLabel = "FILE", description = "Also write the markdown here.")
  Path output;

  @Option(names = "--json", paramLabel = "FILE", description = "Also write every run as JSON.")
  Path json;

  @Mixin PeerOptions peerOptions;

  /** The matrix, in run order. */
  List<LoadSpec> matrix() {
    long w = warmup.toMillis();
    long d = duration.toMillis();
    return List.of(
        LoadSpec.of(1, 1, 64, SendMode.MAX, 0, w, d).validate(),
        LoadSpec.of(1, 1, 1500, SendMode.MAX, 0, w, d).validate(),
        LoadSpec.of(2, 1, 64, SendMode.MAX, 0, w, d).validate(),
        LoadSpec.of(4, 1, 64, SendMode.MAX, 0, w, d).validate(),
        LoadSpec.of(1, 1, 64, SendMode.PACED, pacedRate, pacedWarmup.toMillis(), d).validate());
  }

  @Override
  public Integer call() throws Exception {
    if (rounds < 1 || rounds > 100) {
      throw new IllegalArgumentException("--rounds must be 1..100, was " + rounds);
    }
    List<LoadSpec> matrix = matrix();
    List<Supplier<PeerUnderTest>> factories = new ArrayList<>();
    for (String peer : peers) {
      factories.add(peerOptions.factory(peer));
    }
    List<BenchmarkRun> runs = new ArrayList<>();
    int total = matrix.size() * rounds * peers.size();
    for (LoadSpec load : matrix) {
      for (int round = 1; round <= rounds; round++) {
        for (int k = 0; k < peers.size(); k++) {
          int i = (k + round - 1) % peers.size(); // who goes first rotates round by round
          System.err.printf(
              "[%d/%d] running %s against %s (round %d of %d) ...%n",
              runs.size() + 1, total, load.label(), peers.get(i), round, rounds);
          BenchmarkRun run = new BenchmarkRunner(factories.get(i)).run(load);
          System.out.print(ResultPrinter.table(run));
          runs.add(run);
        }
      }
    }
    MachineInfo machine = MachineInfo.detect(peerOptions.qemuBinary);
    String markdown =
        new ComparisonReport(
                machine,
                peers.get(peers.size() - 1),
                warmup.toMillis(),
                pacedWarmup.toMillis(),
                duration.toMillis())
            .markdown(runs);
    System.out.println();
    System.out.print(markdown);
    if (output != null) {
      Files.writeString(output, markdown);
      System.out.println("\nMarkdown written to " + output);
    }
    if (json != null) {
      Map<String, Object> document = new LinkedHashMap<>();
      document.put("machine", machine);
      document.put("runs", runs);
      ResultPrinter.writeJson(json, document);
      System.out.println("JSON written to " + json);
    }
    return runs.stream().allMatch(BenchmarkRun::ok) ? 0 : 1;
  }
}
