package org.vccp.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.vccp.cli.cluster.Cluster;
import org.vccp.cli.cluster.ClusterSpec;
import org.vccp.vnet.control.ControlClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code vccp cluster up|down}, {@code vccp checkpoint}, {@code checkpoints}, {@code restore}. */
final class ClusterCommands {
  private ClusterCommands() {}

  /** Which running cluster to talk to. */
  static class Target {
    @Option(
        names = "--cluster",
        paramLabel = "NAME",
        description = "The cluster's name (its file's `name:`; default vccp).")
    String name = "vccp";

    @Option(
        names = "--socket",
        paramLabel = "PATH",
        description = "Its control socket, if not the default for NAME.")
    Path socket;

    Path socket() {
      return socket != null ? socket : Cluster.controlSocket(RuntimePaths.runtimeDir(), name);
    }

    ControlClient connect() throws java.io.IOException {
      try {
        return new ControlClient(socket());
      } catch (java.io.IOException e) {
        throw new IllegalArgumentException(
            "no cluster '"
                + name
                + "' is running (no control socket "
                + socket()
                + "); start one with vccp cluster up FILE");
      }
    }
  }

  static JsonNode request(ControlClient c, ObjectNode req) throws java.io.IOException {
    JsonNode reply = c.request(req, line -> System.out.println("  " + line));
    if (!reply.path("ok").asBoolean()) {
      throw new IllegalStateException(reply.path("error").asText());
    }
    return reply;
  }

  @Command(
      name = "cluster",
      mixinStandardHelpOptions = true,
      description = "Run a cluster of QEMU guests on one switch, from a cluster file.",
      subcommands = {Up.class, Down.class})
  static final class ClusterCommand implements Runnable {
    @Override
    public void run() {
      throw new IllegalArgumentException(
          "say `vccp cluster up FILE` or `vccp cluster down`; see --help");
    }
  }

  @Command(
      name = "up",
      mixinStandardHelpOptions = true,
      description = {
        "Start the switch and boot every guest of FILE; runs until `vccp cluster down` or Ctrl-C.",
        "Then, from another shell: vccp checkpoint, vccp checkpoints, vccp restore."
      })
  static final class Up implements Callable<Integer> {
    @Parameters(paramLabel = "FILE", description = "Cluster file (YAML), see docs/cluster.md.")
    Path file;

    @Override
    public Integer call() throws Exception {
      ClusterSpec spec = ClusterSpec.read(file);
      Path base = file.toAbsolutePath().getParent();
      Cluster c = Cluster.up(spec, base, RuntimePaths.runtimeDir(), System.out::println);
      Runtime.getRuntime().addShutdownHook(new Thread(c::close, "vccp-cluster-down"));
      System.out.println(
          "vccp cluster: "
              + spec.name
              + " is up with "
              + spec.guests.size()
              + " guest(s); control unix:"
              + Cluster.controlSocket(RuntimePaths.runtimeDir(), spec.name));
      System.out.flush();
      c.awaitDown();
      c.close();
      System.out.println("vccp cluster: " + spec.name + " is down");
      return 0;
    }
  }

  @Command(
      name = "down",
      mixinStandardHelpOptions = true,
      description = "Stop a running cluster (guests and switch).")
  static final class Down implements Callable<Integer> {
    @picocli.CommandLine.Mixin Target target = new Target();

    @Override
    public Integer call() throws Exception {
      try (ControlClient c = target.connect()) {
        request(c, c.json().createObjectNode().put("cmd", "down"));
      }
      System.out.println("vccp cluster: " + target.name + " is going down");
      return 0;
    }
  }

  @Command(
      name = "checkpoint",
      mixinStandardHelpOptions = true,
      description = {
        "Take a globally consistent checkpoint of a running cluster now, or periodically.",
        "Every guest is paused only for the cut (downtime is printed); a failed checkpoint",
        "leaves every guest running and earlier checkpoints untouched."
      })
  static final class Checkpoint implements Callable<Integer> {
    @picocli.CommandLine.Mixin Target target = new Target();

    @Option(
        names = "--every",
        paramLabel = "DURATION",
        description = "Repeat, e.g. 60s or 5m, until interrupted.")
    String every;

    @Option(names = "--keep", paramLabel = "N", description = "Keep only the newest N checkpoints.")
    Integer keep;

    @Option(
        names = "--naive",
        description =
            "Stop/save/cont without the hold gate (loses frames at restore; for comparison only).")
    boolean naive;

    @Override
    public Integer call() throws Exception {
      Duration period = every == null ? null : parseDuration(every);
      try (ControlClient c = target.connect()) {
        while (true) {
          ObjectNode req = c.json().createObjectNode().put("cmd", "checkpoint").put("naive", naive);
          if (keep != null) {
            req.put("keep", keep);
          }
          JsonNode r = request(c, req);
          System.out.printf(
              "vccp checkpoint: %s committed — downtime %.0f ms, total %.0f ms, %d held frame(s), %d MiB%n",
              Path.of(r.path("dir").asText()).getFileName(),
              r.path("downtime_ms").asDouble(),
              r.path("total_ms").asDouble(),
              r.path("held_frames").asLong(),
              r.path("image_bytes").asLong() >> 20);
          for (JsonNode rm : r.path("removed")) {
            System.out.println("vccp checkpoint: removed " + rm.asText());
          }
          if (period == null) {
            return 0;
          }
          Thread.sleep(period.toMillis());
        }
      }
    }
  }

  static Duration parseDuration(String s) {
    var m = java.util.regex.Pattern.compile("(\\d+)(ms|s|m|h)").matcher(s.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "'" + s + "' is not a duration; use e.g. 500ms, 60s, 5m, 1h");
    }
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "ms" -> Duration.ofMillis(n);
      case "s" -> Duration.ofSeconds(n);
      case "m" -> Duration.ofMinutes(n);
      default -> Duration.ofHours(n);
    };
  }

  @Command(
      name = "checkpoints",
      mixinStandardHelpOptions = true,
      description = "List the committed checkpoints of a running cluster.")
  static final class Checkpoints implements Callable<Integer> {
    @picocli.CommandLine.Mixin Target target = new Target();

    @Override
    public Integer call() throws Exception {
      try (ControlClient c = target.connect()) {
        JsonNode r = request(c, c.json().createObjectNode().put("cmd", "checkpoints"));
        System.out.printf(
            "%-12s %-6s %-15s %-32s %-7s %10s %12s%n",
            "NAME", "EPOCH", "MODE", "CREATED", "GUESTS", "MiB", "DOWNTIME_ms");
        for (JsonNode k : r.path("checkpoints")) {
          System.out.printf(
              "%-12s %-6d %-15s %-32s %-7d %10d %12.0f%n",
              k.path("name").asText(),
              k.path("epoch").asLong(),
              k.path("mode").asText(),
              k.path("created").asText(),
              k.path("guests").asInt(),
              k.path("bytes").asLong() >> 20,
              k.path("downtime_ms").asDouble());
        }
      }
      return 0;
    }
  }

  @Command(
      name = "restore",
      mixinStandardHelpOptions = true,
      description = {
        "Restore every guest of a running cluster from a checkpoint (default: the latest).",
        "Checksums are verified before any guest is touched; held frames are replayed in order."
      })
  static final class Restore implements Callable<Integer> {
    @picocli.CommandLine.Mixin Target target = new Target();

    @Parameters(
        arity = "0..1",
        paramLabel = "CKPT",
        description = "ckpt-NNNNNN, an epoch number, or a path.")
    String checkpoint;

    @Override
    public Integer call() throws Exception {
      try (ControlClient c = target.connect()) {
        ObjectNode req = c.json().createObjectNode().put("cmd", "restore");
        if (checkpoint != null) {
          req.put("checkpoint", checkpoint);
        }
        JsonNode r = request(c, req);
        System.out.printf(
            "vccp restore: %d guest(s) running again after %.2f s; %d held frame(s) replayed%n",
            r.path("guests").asInt(),
            r.path("restore_ms").asDouble() / 1000,
            r.path("replayed_frames").asLong());
      }
      return 0;
    }
  }
}
