package org.vccp.cli.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vccp.checkpoint.protocol.AgentLink;
import org.vccp.checkpoint.protocol.AgentToken;
import org.vccp.checkpoint.protocol.CheckpointResult;
import org.vccp.checkpoint.protocol.Coordinator;
import org.vccp.checkpoint.protocol.ProtocolSettings;
import org.vccp.checkpoint.protocol.RemoteAgent;
import org.vccp.checkpoint.store.CheckpointStore;
import org.vccp.checkpoint.store.Manifest;
import org.vccp.checkpoint.verify.Verifier;
import org.vccp.checkpoint.verify.VerifyContext;
import org.vccp.checkpoint.verify.VerifyReport;
import org.vccp.qemu.hypervisor.QmpHypervisor;
import org.vccp.qemu.image.GuestEvent;
import org.vccp.vnet.port.PortAddress;
import org.vccp.vnet.port.PortSpec;
import org.vccp.vnet.status.PortCounter;

/**
 * A cluster that spans two switches (two hosts' worth: each switch with its own agent), joined by a
 * slow link ({@link SlowLink}: each direction is read once a second, so up to a second of traffic
 * waits in its socket buffers). Simulated guests send numbered datagrams across the link both ways;
 * one coordinator checkpoints both switches, every guest is killed, both switches restore together,
 * and both receivers count no gap, duplicate or reorder.
 *
 * <p>Both multi-host steps are needed for that, and each was seen to fail without it: without the
 * link flush before the snapshots, the frames on the link at the cut are in neither switch's
 * channel state (about 900 gaps); without the restore's fence and settle, frames the killed guests
 * sent after the checkpoint are still on the link and reach the restored guests (gaps and
 * reorders).
 */
class TwoSwitchCheckpointTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final int RATE = 1000;
  private static final long LINK_DELAY_MS = 1000;

  @TempDir Path dir;
  private final List<AutoCloseable> closeables = new CopyOnWriteArrayList<>();
  private final List<String> log = new CopyOnWriteArrayList<>();

  @AfterEach
  void down() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
  }

  /** A cluster with a sender {@code NAME-s} to the other switch and a receiver {@code NAME-r}. */
  private Cluster cluster(String name, int me, int other, String agent) throws Exception {
    Path file = dir.resolve(name + ".yaml");
    Files.writeString(
        file,
        String.join(
            "\n",
            "name: " + name + ProcessHandle.current().pid(),
            "guest_kind: simulated",
            "store: store",
            "record: rec-" + name,
            agent,
            "guests:",
            String.format(
                "  - {name: %s-s, ip: 10.0.0.%d/24, peer: 10.0.0.%d, mac: '52:54:00:00:00:%02x',"
                    + " workloads: [udp-seq-send], sim_workload: udp-seq-send, rate: %d}",
                name, me, other + 100, me, RATE),
            String.format(
                "  - {name: %s-r, ip: 10.0.0.%d/24, peer: 10.0.0.%d, mac: '52:54:00:00:00:%02x',"
                    + " workloads: [udp-seq-recv], sim_workload: udp-seq-recv, rate: %d}",
                name, me + 100, other, me + 100, RATE),
            ""));
    Cluster c = Cluster.up(ClusterSpec.read(file), dir, dir.resolve("run-" + name), log::add);
    closeables.add(c);
    return c;
  }

  private static final String AGENT = "agent: {listen: 127.0.0.1:0, token_file: agent.token}";

  /** Joins the switches of {@code a} and {@code b} through a {@link SlowLink}. */
  private void link(Cluster a, Cluster b) throws Exception {
    Path linkA = dir.resolve("link-a.sock");
    Path linkB = dir.resolve("link-b.sock");
    a.virtualSwitch().addPort(PortSpec.listen("to-hb", PortAddress.unix(linkA)).withLossless(true));
    closeables.add(new SlowLink(linkA, linkB));
    b.virtualSwitch()
        .addPort(PortSpec.connect("to-ha", PortAddress.unix(linkB)).withLossless(true));
  }

  @Test
  void checkpointAcrossALinkKillRestoreAndNothingIsLostInFlight() throws Exception {
    Files.writeString(dir.resolve("agent.token"), "two-switch-secret\n");
    Cluster a = cluster("ha", 1, 2, AGENT);
    Cluster b = cluster("hb", 2, 1, AGENT);
    link(a, b);
    awaitReceiving(a.guest("ha-r"), RATE);
    awaitReceiving(b.guest("hb-r"), RATE);

    RemoteAgent remote =
        new RemoteAgent(
            "127.0.0.1",
            b.agentAddress().getPort(),
            new AgentToken("two-switch-secret"),
            RemoteAgent.Timeouts.of(ProtocolSettings.DEFAULTS));
    closeables.add(remote);
    CheckpointStore store = new CheckpointStore(dir.resolve("shared-store"));
    Coordinator coordinator =
        new Coordinator(store, List.<AgentLink>of(a.agentLink(), remote), null, log::add);
    CheckpointResult r = coordinator.checkpoint();
    CheckpointStore.Committed c = store.open(String.valueOf(r.epoch()));
    Manifest m = c.manifest();
    assertThat(m.guests())
        .extracting(Manifest.Guest::name)
        .containsExactly("ha-s", "ha-r", "hb-s", "hb-r");
    assertThat(m.switchStates())
        .extracting(Manifest.FileRef::file)
        .containsExactly(
            "switch-" + a.virtualSwitch().context().name + ".json",
            "switch-" + b.virtualSwitch().context().name + ".json");
    long crossed =
        a.virtualSwitch().port("to-hb").counters().get(PortCounter.RX_FRAMES)
            + b.virtualSwitch().port("to-ha").counters().get(PortCounter.RX_FRAMES);
    assertThat(crossed).as("datagrams crossed the link").isGreaterThan(RATE);

    awaitReceiving(a.guest("ha-r"), 3L * RATE);
    a.killGuests();
    b.killGuests();
    var restored = Cluster.restoreAcross(List.of(a, b), c, log::add);
    assertThat(restored.guests()).containsExactly("ha-s", "ha-r", "hb-s", "hb-r");
    assertThat(a.guests()).extracting(h -> h.name()).containsExactly("ha-s", "ha-r");
    assertThat(b.guests()).extracting(h -> h.name()).containsExactly("hb-s", "hb-r");

    assertReceiversRunOnClean(a, b);

    // each switch's recording, checked against the shared checkpoint: its own ports' channel state
    for (String name : List.of("ha", "hb")) {
      Cluster cl = name.equals("ha") ? a : b;
      cl.virtualSwitch().stopRecording();
      VerifyContext ctx = new VerifyContext();
      ctx.inputs.add(dir.resolve("rec-" + name));
      ctx.checkpoints.add(c.dir());
      ctx.jsonFile = dir.resolve("verify-" + cl.virtualSwitch().context().name + ".json");
      VerifyReport report = Verifier.run(ctx.validate(), System.out);
      report.print(System.out, 20);
      assertThat(report.checkpointsChecked()).as("checkpoints checked").isEqualTo(1);
      assertThat(report.restoresChecked()).as("restores checked").isEqualTo(1);
      assertThat(report.replays()).as("channel-state frames replayed").isPositive();
      // the old run's frames the restore dropped are counted as dropped, not left in flight
      assertThat(report.channels())
          .filteredOn(ch -> ch.name().startsWith("to-"))
          .allSatisfy(ch -> assertThat(ch.inFlight()).as(ch.name() + " in flight").isZero());
      assertThat(report.exitStatus())
          .as("vccp verify of " + cl.virtualSwitch().context().name + "'s recording")
          .isZero();
    }
  }

  /**
   * The same across two hosts' agents from the command line: {@code vccp checkpoint --agent A
   * --agent B}, {@code vccp checkpoints --store}, every guest killed, {@code vccp restore --agent A
   * --agent B}.
   */
  @Test
  void theCliCoordinatesSeveralHostsAgents() throws Exception {
    Path token = dir.resolve("agent.token");
    Files.writeString(token, "two-switch-secret\n");
    Cluster a = cluster("ha", 1, 2, AGENT);
    Cluster b = cluster("hb", 2, 1, AGENT);
    link(a, b);
    awaitReceiving(a.guest("ha-r"), RATE);
    awaitReceiving(b.guest("hb-r"), RATE);
    Path store = dir.resolve("shared-store");
    String[] hosts = {
      "--agent",
      "127.0.0.1:" + a.agentAddress().getPort(),
      "--agent",
      "127.0.0.1:" + b.agentAddress().getPort(),
      "--token-file",
      token.toString(),
      "--store",
      store.toString()
    };

    assertThat(cli("checkpoint", hosts)).contains("ckpt-000001 committed across 2 host(s)");
    assertThat(cli("checkpoints", "--store", store.toString())).contains("ckpt-000001");
    awaitReceiving(a.guest("ha-r"), 3L * RATE);
    a.killGuests();
    b.killGuests();
    assertThat(cli("restore", hosts))
        .contains("loaded ha-s, ha-r", "loaded hb-s, hb-r", "4 guest(s) on 2 host(s) running");

    assertReceiversRunOnClean(a, b);
  }

  /**
   * Runs {@code vccp COMMAND ARGS...} in this JVM; returns its output, failing on a non-zero exit.
   */
  private static String cli(String command, String... args) {
    String[] all = new String[args.length + 1];
    all[0] = command;
    System.arraycopy(args, 0, all, 1, args.length);
    org.vccp.cli.CliRun run = org.vccp.cli.CliRun.of(all);
    System.out.print(run.out());
    System.err.print(run.err());
    assertThat(run.status())
        .as("vccp " + command + " exit status; output:%n%s%s", run.out(), run.err())
        .isZero();
    return run.out();
  }

  /** Both receivers, restored, count on with no gap, duplicate or reorder. */
  private static void assertReceiversRunOnClean(Cluster a, Cluster b) {
    for (QmpHypervisor h : List.of(a.guest("ha-r"), b.guest("hb-r"))) {
      assertThat(h.isAlive()).as(h.name() + " alive").isTrue();
      long now = lastRecv(h).getLong("received");
      GuestEvent recv =
          h.console().awaitEvent(e -> isRecv(e) && e.getLong("received") > now + RATE, WAIT);
      String seen = h.name() + " after restore: " + recv;
      assertThat(recv.getLong("gaps")).as(seen).isZero();
      assertThat(recv.getLong("dups")).as(seen).isZero();
      assertThat(recv.getLong("reorders")).as(seen).isZero();
    }
  }

  private static void awaitReceiving(QmpHypervisor h, long atLeast) {
    h.console().awaitEvent(e -> isRecv(e) && e.getLong("received") >= atLeast, WAIT);
  }

  private static boolean isRecv(GuestEvent e) {
    return e.is(GuestEvent.UDPSEQ) && "recv".equals(e.get("role"));
  }

  private static GuestEvent lastRecv(QmpHypervisor h) {
    List<GuestEvent> reports = h.console().events().stream().filter(e -> isRecv(e)).toList();
    return reports.isEmpty()
        ? h.console().awaitEvent(e -> isRecv(e), WAIT)
        : reports.get(reports.size() - 1);
  }

  /**
   * A link between two switches' stream ports that leaves bytes in the kernel's socket buffers for
   * {@link #LINK_DELAY_MS} at a time (where the flush can see them: the sender's SIOCOUTQ): it
   * connects to {@code to} and accepts one connection on {@code from}, and each direction reads
   * what is there every {@link #LINK_DELAY_MS} and writes it on.
   */
  private static final class SlowLink implements AutoCloseable {
    private final java.nio.channels.ServerSocketChannel server;
    private final List<java.nio.channels.SocketChannel> sockets = new CopyOnWriteArrayList<>();
    private final Thread acceptor;

    SlowLink(Path to, Path from) throws java.io.IOException {
      java.nio.channels.SocketChannel right =
          java.nio.channels.SocketChannel.open(java.net.UnixDomainSocketAddress.of(to));
      sockets.add(right);
      server = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX);
      server.bind(java.net.UnixDomainSocketAddress.of(from));
      acceptor =
          new Thread(
              () -> {
                try {
                  java.nio.channels.SocketChannel left = server.accept();
                  sockets.add(left);
                  pump(left, right);
                  pump(right, left);
                } catch (java.io.IOException closed) {
                  // the test is over
                }
              },
              "slow-link");
      acceptor.setDaemon(true);
      acceptor.start();
    }

    private void pump(java.nio.channels.SocketChannel in, java.nio.channels.SocketChannel out)
        throws java.io.IOException {
      in.configureBlocking(false);
      Thread t =
          new Thread(
              () -> {
                java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocateDirect(1 << 20);
                try {
                  while (true) {
                    Thread.sleep(LINK_DELAY_MS);
                    buf.clear();
                    if (in.read(buf) < 0) {
                      return;
                    }
                    buf.flip();
                    while (buf.hasRemaining()) {
                      out.write(buf);
                    }
                  }
                } catch (java.io.IOException | InterruptedException closed) {
                  // the test is over
                }
              },
              "slow-link-pump");
      t.setDaemon(true);
      t.start();
    }

    @Override
    public void close() throws java.io.IOException {
      server.close();
      for (java.nio.channels.SocketChannel s : sockets) {
        s.close();
      }
    }
  }
}
