package org.vccp.perf;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

/**
 * {@code vccp-perf jmh [JMH options]}: the micro-benchmarks packed in this jar, run by JMH's own
 * command line (every argument is passed through, so {@code jmh -h} is JMH's help and {@code jmh
 * -l} lists the benchmarks).
 */
@Command(
    name = "jmh",
    description =
        "Runs the JMH micro-benchmarks in this jar; every argument goes to JMH, e.g. `jmh -f 1 -wi"
            + " 2 -i 3 -w 1s -r 2s ForwarderBenchmark`, `jmh -l` to list, `jmh -h` for JMH help.")
public final class JmhCommand implements Callable<Integer> {
  @Unmatched List<String> jmhArguments = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    org.openjdk.jmh.Main.main(jmhArguments.toArray(String[]::new));
    return 0;
  }
}
