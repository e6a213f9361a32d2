package org.vccp.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.vccp.checkpoint.protocol.AgentLink;
import org.vccp.checkpoint.protocol.AgentToken;
import org.vccp.checkpoint.protocol.CheckpointException;
import org.vccp.checkpoint.protocol.CheckpointResult;
import org.vccp.checkpoint.protocol.Coordinator;
import org.vccp.checkpoint.protocol.ProtocolSettings;
import org.vccp.checkpoint.protocol.RemoteAgent;
import org.vccp.checkpoint.protocol.RestoreTarget;
import org.vccp.checkpoint.store.CheckpointStore;
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

  /**
   * A cluster that spans several hosts: this process coordinates their agents directly (each host
   * runs {@code vccp cluster up} with {@code agent: {listen, token_file}}).
   */
  static class Hosts {
    @Option(
        names = "--agent",
        paramLabel = "HOST:PORT",
        description =
            "Coordinate this host's checkpoint agent directly (repeat for every host of a"
                + " cluster that spans several); needs --token-file and --store.")
    List<String> agents = new ArrayList<>();

    @Option(
        names = "--token-file",
        paramLabel = "FILE",
        description = "The agents' shared secret (their cluster files' agent.token_file).")
    Path tokenFile;

    @Option(
        names = "--store",
        paramLabel = "DIR",
        description = "The checkpoint store: one directory at this same path on every host.")
    Path store;

    boolean given() {
      return !agents.isEmpty();
    }

    CheckpointStore store() {
      if (store == null) {
        throw new IllegalArgumentException(
            "--agent needs --store DIR: the checkpoint store, at the same path on every host");
      }
      return new CheckpointStore(store.toAbsolutePath());
    }

    /** Connected agents, in the order given; the caller closes them. */
    List<RemoteAgent> connect() throws CheckpointException {
      if (tokenFile == null) {
        throw new IllegalArgumentException(
            "--agent needs --token-file FILE: the secret in the agents' agent.token_file");
      }
      AgentToken token;
      try {
        token = AgentToken.read(tokenFile);
      } catch (java.io.IOException e) {
        throw new IllegalArgumentException(e.getMessage(), e);
      }
      List<RemoteAgent> out = new ArrayList<>();
      try {
        for (String a : agents) {
          int colon = a.lastIndexOf(':');
          if (colon <= 0 || !a.substring(colon + 1).matches("\\d{1,5}")) {
            throw new IllegalArgumentException(
                "--agent " + a + " is not HOST:PORT (e.g. 10.1.0.7:7070)");
          }
          RemoteAgent r =
              new RemoteAgent(
                  a.substring(0, colon),
                  Integer.parseInt(a.substring(colon + 1)),
                  token,
                  RemoteAgent.Timeouts.of(ProtocolSettings.DEFAULTS));
          out.add(r);
          r.connect();
        }
      } catch (CheckpointException | RuntimeException e) {
        out.forEach(RemoteAgent::close);
        throw e;
      }
      return out;
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
        "Take a globally consistent checkpoint of a running cluster now, or periodically;",
        "with --agent (repeated), of a cluster across several hosts.",
        "Every guest is paused only for the cut (downtime is printed); a failed checkpoint",
        "leaves every guest running and earlier checkpoints untouched."
      })
  static final class Checkpoint implements Callable<Integer> {
    @picocli.CommandLine.Mixin Target target = new Target();
    @picocli.CommandLine.Mixin Hosts hosts = new Hosts();

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

    private int acrossHosts(Duration period) throws Exception {
      return checkpointAcrossHosts(hosts, period, keep, naive);
    }

    @Override
    public Integer call() throws Exception {
      Duration period = every == null ? null : parseDuration(every);
      if (hosts.given()) {
        return acrossHosts(period);
      }
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

  /** The coordinator in this process, over every --agent. */
  private static int checkpointAcrossHosts(
      Hosts hosts, Duration period, Integer keep, boolean naive) throws Exception {
    CheckpointStore store = hosts.store();
    List<RemoteAgent> agents = hosts.connect();
    try {
      Coordinator coordinator =
          new Coordinator(
              store, List.<AgentLink>copyOf(agents), null, line -> System.out.println("  " + line));
      while (true) {
        CheckpointResult r = naive ? coordinator.naiveCheckpoint() : coordinator.checkpoint();
        System.out.printf(
            "vccp checkpoint: %s committed across %d host(s) — downtime %.0f ms, total %.0f ms,"
                + " %d held frame(s), %d MiB%n",
            r.dir().getFileName(),
            agents.size(),
            r.downtimeNs() / 1e6,
            r.totalNs() / 1e6,
            r.heldFrames(),
            r.imageBytes() >> 20);
        if (keep != null) {
          for (String removed : store.retain(keep)) {
            System.out.println("vccp checkpoint: removed " + removed);
          }
        }
        if (period == null) {
          return 0;
        }
        Thread.sleep(period.toMillis());
      }
    } finally {
      agents.forEach(RemoteAgent::close);
    }
  }

  static Duration parseDuration(String s) {
    Duration d = org.vccp.vnet.port.Sizes.parseDuration(s, "--every");
    if (d.isZero()) {
      throw new IllegalArgumentException("--every " + s + ": must be positive");
    }
    return d;
  }

  @Command(
      name = "checkpoints",
      mixinStandardHelpOptions = true,
      description = "List the committed checkpoints of a running cluster.")
  static final class Checkpoints implements Callable<Integer> {
    @picocli.CommandLine.Mixin Target target = new Target();

    @Option(
        names = "--store",
        paramLabel = "DIR",
        description = "List this checkpoint store directly instead of asking a running cluster.")
    Path store;

    @Override
    public Integer call() throws Exception {
      if (store != null) {
        print(
            Cluster.checkpointList(
                new com.fasterxml.jackson.databind.ObjectMapper(),
                new CheckpointStore(store.toAbsolutePath())));
        return 0;
      }
      try (ControlClient c = target.connect()) {
        print(request(c, c.json().createObjectNode().put("cmd", "checkpoints")));
      }
      return 0;
    }

    private static void print(JsonNode r) {
      {
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
    }
  }

  @Command(
      name = "restore",
      mixinStandardHelpOptions = true,
      description = {
        "Restore every guest of a running cluster from a checkpoint (default: the latest);",
        "with --agent (repeated), of a cluster across several hosts.",
        "Checksums are verified before any guest is touched; held frames are replayed in order."
      })
  static final class Restore implements Callable<Integer> {
    @picocli.CommandLine.Mixin Target target = new Target();
    @picocli.CommandLine.Mixin Hosts hosts = new Hosts();

    @Parameters(
        arity = "0..1",
        paramLabel = "CKPT",
        description = "ckpt-NNNNNN, an epoch number, or a path.")
    String checkpoint;

    @Override
    public Integer call() throws Exception {
      if (hosts.given()) {
        return acrossHosts();
      }
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

    /**
     * Verifies here, then has every host load its part (guests paused, ports held), and only then
     * continues them all; a failure anywhere abandons every host's part.
     */
    private int acrossHosts() throws Exception {
      long start = System.nanoTime();
      CheckpointStore store = hosts.store();
      CheckpointStore.Committed c =
          checkpoint != null
              ? store.open(checkpoint)
              : store
                  .latest()
                  .orElseThrow(
                      () ->
                          new IllegalArgumentException(
                              "no committed checkpoint in " + store.root()));
      List<RemoteAgent> agents = hosts.connect();
      try {
        RestoreTarget.Restored r =
            RestoreTarget.restoreAll(agents, c.dir(), line -> System.out.println("  " + line));
        System.out.printf(
            "vccp restore: %d guest(s) on %d host(s) running again after %.2f s; %d held frame(s)"
                + " replayed%n",
            r.guests().size(),
            agents.size(),
            (System.nanoTime() - start) / 1e9,
            r.replayedFrames());
        return 0;
      } finally {
        agents.forEach(RemoteAgent::close);
      }
    }
  }
}
