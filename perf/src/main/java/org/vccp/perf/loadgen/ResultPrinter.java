package org.vccp.perf.loadgen;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** Renders runs for people (an aligned table) and for programs (indented JSON). */
public final class ResultPrinter {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private ResultPrinter() {}

  /** {@code p50 … p99 … p99.9 … max …} of {@code l}. */
  private static String percentiles(LoadResult.Latency l) {
    return String.format(
        Locale.ROOT,
        "p50 %s  p99 %s  p99.9 %s  max %s",
        micros(l.p50Ns()),
        micros(l.p99Ns()),
        micros(l.p999Ns()),
        micros(l.maxNs()));
  }

  /** A multi-line table of one run. */
  public static String table(BenchmarkRun run) {
    StringBuilder out = new StringBuilder();
    out.append(String.format(Locale.ROOT, "%s — %s%n", run.peer(), run.workload()));
    if (!run.ok()) {
      return out.append("  FAILED: ").append(run.error()).append(System.lineSeparator()).toString();
    }
    LoadResult r = run.result();
    LoadResult.Latency l = r.latency();
    row(out, "window", String.format(Locale.ROOT, "%.1f s", r.windowSeconds()));
    row(
        out,
        "received",
        String.format(
            Locale.ROOT,
            "%,.0f frames/s  %.3f Gbit/s",
            r.rxFramesPerSecond(),
            r.rxGbitPerSecond()));
    row(out, "offered", String.format(Locale.ROOT, "%,.0f frames/s", r.txFramesPerSecond()));
    row(
        out,
        "frames",
        String.format(
            Locale.ROOT, "%,d sent, %,d received (whole run)", r.framesSent(), r.framesReceived()));
    row(
        out,
        "loss",
        String.format(
            Locale.ROOT,
            "%,d lost, %,d duplicated, %,d reordered, %,d corrupt",
            r.lost(),
            r.duplicated(),
            r.reordered(),
            r.corrupt()));
    row(
        out,
        "latency",
        percentiles(l) + String.format(Locale.ROOT, "  (%,d samples)", l.samples()));
    LoadResult.Latency late = r.sendLateness();
    if (late != null && late.samples() > 0) {
      row(out, "send late", percentiles(late) + "  (the generator's own share of the latency)");
    }
    for (LoadResult.SenderStats s : r.senders()) {
      row(
          out,
          "sender s" + s.sender(),
          String.format(
              Locale.ROOT,
              "%,d sent (%,d in window), %,d received, %,d lost, %,d dup, %,d reordered",
              s.framesSent(),
              s.framesSentInWindow(),
              s.framesReceived(),
              s.lost(),
              s.duplicated(),
              s.reordered()));
    }
    row(
        out,
        "discarded",
        String.format(Locale.ROOT, "%,d frames not for the reading port", r.discarded()));
    if (run.cpu() != null) {
      row(
          out,
          "cpu",
          String.format(
              Locale.ROOT,
              "%.2f cores generator, %.2f peer, %.2f everything else on the host",
              run.cpu().generatorCores(),
              run.cpu().peerCores(),
              run.cpu().otherCores()));
    }
    if (run.peerRssKib() >= 0) {
      row(out, "peer RSS", String.format(Locale.ROOT, "%.1f MiB", run.peerRssKib() / 1024.0));
    }
    return out.toString();
  }

  /** Microseconds with one decimal, e.g. {@code 23.4 µs}. */
  static String micros(long nanos) {
    return String.format(Locale.ROOT, "%.1f µs", nanos / 1000.0);
  }

  private static void row(StringBuilder out, String name, String value) {
    out.append(String.format(Locale.ROOT, "  %-10s %s%n", name, value));
  }

  /** Indented JSON of any result object (records serialize by their components). */
  public static String json(Object value) {
    try {
      return JSON.writeValueAsString(value);
    } catch (IOException e) {
      throw new IllegalStateException("cannot serialize " + value.getClass().getSimpleName(), e);
    }
  }

  /** Writes {@link #json} of {@code value} to {@code file}. */
  public static void writeJson(Path file, Object value) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    Files.writeString(file, json(value) + System.lineSeparator());
  }
}
