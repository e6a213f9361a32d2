package org.vccp.perf.loadgen;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * Runs one workload against a fresh peer: a private directory for the port sockets and the peer's
 * log, start the peer, run the generator, read the peer's memory, stop the peer, remove the
 * directory. A failure becomes a failed {@link BenchmarkRun} carrying the reason, so that one
 * broken peer does not end a comparison.
 */
public final class BenchmarkRunner {
  private final Supplier<PeerUnderTest> peers;

  /** {@code peers} makes a new, unstarted peer for every run. */
  public BenchmarkRunner(Supplier<PeerUnderTest> peers) {
    this.peers = peers;
  }

  /** Runs {@code spec}; never throws for a failure of the peer or the run. */
  public BenchmarkRun run(LoadSpec spec) throws InterruptedException {
    String peerName = "peer";
    Path dir = null;
    boolean started = false;
    try (PeerUnderTest peer = peers.get()) {
      peerName = peer.name();
      dir = Files.createTempDirectory("vccp-perf-");
      List<Path> sockets = new ArrayList<>();
      for (int i = 0; i < spec.ports(); i++) {
        sockets.add(dir.resolve("p" + i + ".sock"));
      }
      peer.start(sockets);
      started = true;
      CpuSample before = CpuSample.take(peer.pid());
      LoadResult result = new LoadGenerator(spec).run(sockets);
      CpuSample.Usage cpu = CpuSample.take(peer.pid()).since(before);
      return BenchmarkRun.succeeded(peerName, result, peer.residentKib(), cpu);
    } catch (IOException | RuntimeException e) {
      Throwable root = e;
      while (root.getCause() != null) {
        root = root.getCause();
      }
      if (!(root instanceof IOException)) {
        e.printStackTrace();
      }
      return BenchmarkRun.failed(peerName, spec, e.getMessage() + (started ? logHint(dir) : ""));
    } finally {
      deleteQuietly(dir);
    }
  }

  private static String logHint(Path dir) {
    if (dir == null) {
      return "";
    }
    try (Stream<Path> files = Files.list(dir)) {
      StringBuilder logs = new StringBuilder();
      for (Path log : files.filter(p -> p.toString().endsWith(".log")).toList()) {
        String text = Files.readString(log).strip();
        if (!text.isEmpty()) {
          int from = Math.max(0, text.length() - 1_000);
          logs.append("\n--- ").append(log.getFileName()).append(" ---\n");
          logs.append(text.substring(from));
        }
      }
      return logs.toString();
    } catch (IOException e) {
      return "";
    }
  }

  /** Removes {@code dir} and everything under it; a failure is a warning, not an error. */
  static void deleteQuietly(Path dir) {
    if (dir == null) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException | java.io.UncheckedIOException e) {
      System.err.println("warning: could not remove " + dir + ": " + e.getMessage());
    }
  }
}
