package org.vccp.perf.loadgen;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code vccp-perf loadgen}: one workload through one peer, printed as a table and JSON. */
@Command(
    name = "loadgen",
    mixinStandardHelpOptions = true,
    description =
        "Sends frames from N sender ports to M receiver ports through a peer and reports"
            + " delivered frames/s and Gbit/s, loss, duplicates, reordering and one-way latency.")
public final class LoadgenCommand implements Callable<Integer> {
  @Option(
      names = "--peer",
      paramLabel = "PEER",
      defaultValue = PeerOptions.VCCP,
      description =
          "vccp (start the switch), qemu-hub (start a QEMU hub) or external (use --socket)."
              + " Default: ${DEFAULT-VALUE}.")
  String peer;

  @Option(
      names = "--socket",
      paramLabel = "PATH",
      description = "With --peer external: a listening port socket, senders first (repeatable).")
  List<Path> sockets = new ArrayList<>();

  @Option(names = "--senders", paramLabel = "N", defaultValue = "1", description = "Sender ports.")
  int senders;

  @Option(
      names = "--receivers",
      paramLabel = "M",
      defaultValue = "1",
      description = "Receiver ports.")
  int receivers;

  @Option(
      names = "--frame-bytes",
      paramLabel = "BYTES",
      defaultValue = "64",
      description = "Ethernet frame size without FCS, 60..65535. Default: ${DEFAULT-VALUE}.")
  int frameBytes;

  @Option(
      names = "--mode",
      paramLabel = "max|paced",
      defaultValue = "max",
      description = "max (as fast as possible) or paced (--rate per sender).")
  SendMode mode;

  @Option(
      names = "--rate",
      paramLabel = "FPS",
      defaultValue = "10000",
      description = "Frames/s per sender in paced mode. Default: ${DEFAULT-VALUE}.")
  long rate;

  @Option(
      names = "--duration",
      paramLabel = "DURATION",
      defaultValue = "10s",
      converter = DurationConverter.class,
      description = "Measurement window. Default: ${DEFAULT-VALUE}.")
  Duration duration;

  @Option(
      names = "--warmup",
      paramLabel = "DURATION",
      defaultValue = "2s",
      converter = DurationConverter.class,
      description = "Traffic before the window. Default: ${DEFAULT-VALUE}.")
  Duration warmup;

  @Option(
      names = "--drain-quiet",
      paramLabel = "DURATION",
      defaultValue = "500ms",
      converter = DurationConverter.class,
      description = "After sending, stop once nothing arrived for this long.")
  Duration drainQuiet;

  @Option(
      names = "--drain-max",
      paramLabel = "DURATION",
      defaultValue = "5s",
      converter = DurationConverter.class,
      description = "Upper bound on the drain.")
  Duration drainMax;

  @Option(names = "--json", paramLabel = "FILE", description = "Also write the result as JSON.")
  Path json;

  @Mixin PeerOptions peerOptions;

  @Override
  public Integer call() throws Exception {
    LoadSpec spec =
        new LoadSpec(
                senders,
                receivers,
                frameBytes,
                mode,
                rate,
                warmup.toMillis(),
                duration.toMillis(),
                drainQuiet.toMillis(),
                drainMax.toMillis())
            .validate();
    BenchmarkRun run;
    if (peer.equals("external")) {
      if (sockets.size() != spec.ports()) {
        throw new IllegalArgumentException(
            "--peer external needs one --socket per port ("
                + spec.ports()
                + ": senders then receivers), got "
                + sockets.size());
      }
      CpuSample before = CpuSample.take(-1);
      LoadResult result = new LoadGenerator(spec).run(sockets);
      run = BenchmarkRun.succeeded("external", result, -1, CpuSample.take(-1).since(before));
    } else {
      run = new BenchmarkRunner(peerOptions.factory(peer)).run(spec);
    }
    System.out.print(ResultPrinter.table(run));
    if (json != null) {
      ResultPrinter.writeJson(json, run);
      System.out.println("JSON written to " + json);
    }
    return run.ok() ? 0 : 1;
  }
}
