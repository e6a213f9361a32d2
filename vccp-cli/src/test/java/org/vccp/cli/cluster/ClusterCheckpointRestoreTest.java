package org.vccp.cli.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vccp.checkpoint.protocol.AgentToken;
import org.vccp.checkpoint.protocol.CheckpointResult;
import org.vccp.checkpoint.protocol.ProtocolSettings;
import org.vccp.checkpoint.protocol.RemoteAgent;
import org.vccp.checkpoint.protocol.Restorer;
import org.vccp.checkpoint.verify.VerifyReport;
import org.vccp.qemu.guest.QemuCommandLine;
import org.vccp.qemu.hypervisor.QmpHypervisor;
import org.vccp.qemu.image.GuestEvent;

/**
 * The end-to-end proof with real QEMU (TCG): two guests exchange numbered UDP datagrams both ways
 * and then move an HTTP file through the switch; a checkpoint is taken in the middle of the
 * traffic, both QEMU processes are killed, the cluster is restored, and the workloads finish with
 * zero gaps, duplicates and reorders and the right MD5. Beside it, the naive procedure (stop one
 * guest, the other 100 ms later, save, cont — no hold) under the same traffic loses datagrams at
 * restore, which the receiving guest reports: this is why the hold gate exists.
 */
@Tag("qemu")
class ClusterCheckpointRestoreTest {
  private static final int RATE = 200;
  private static final int COUNT = RATE * 25;
  private static final Duration WORK = Duration.ofSeconds(150);

  @TempDir Path dir;
  private Cluster cluster;
  private final List<String> log = new CopyOnWriteArrayList<>();

  @BeforeEach
  void up() throws Exception {
    Assumptions.assumeTrue(
        QemuCommandLine.qemuAvailable(),
        "qemu-system-x86_64 is not on the PATH: install qemu-system-x86 to run real-guest tests");
    Path file = dir.resolve("cluster.yaml");
    Files.writeString(
        file,
        String.join(
            "\n",
            "name: e2e" + ProcessHandle.current().pid(),
            "guest_kind: qemu",
            "store: store",
            "record: rec",
            "agent: {listen: 127.0.0.1:0, token_file: agent.token}",
            "guests:",
            "  - {name: g1, ip: 10.0.0.1/24, peer: 10.0.0.2, flow: 1, rate: "
                + RATE
                + ", count: "
                + COUNT
                + ", size_mb: 4,",
            "     workloads: [http-serve, udp-seq-recv, udp-seq-send]}",
            "  - {name: g2, ip: 10.0.0.2/24, peer: 10.0.0.1, flow: 1, rate: "
                + RATE
                + ", count: "
                + COUNT
                + ", size_mb: 4,",
            "     workloads: [udp-seq-recv, udp-seq-send, http-fetch-md5]}",
            ""));
    Files.writeString(dir.resolve("agent.token"), "e2e-secret\n");
    cluster = Cluster.up(ClusterSpec.read(file), dir, dir.resolve("run"), line -> log.add(line));
  }

  @AfterEach
  void down() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private void awaitReceiving(long atLeast) {
    org.vccp.cli.demo.CheckpointDemo.awaitReceiving(cluster, atLeast);
  }

  /** Runs vccp verify's analyser on the cluster's recording and checkpoint store. */
  private VerifyReport verify() throws Exception {
    VerifyReport report = cluster.verify(dir.resolve("verify.json"), System.out);
    report.print(System.out, 20);
    return report;
  }

  private GuestEvent recvDone(QmpHypervisor h) {
    return h.console()
        .awaitEvent(e -> e.is(GuestEvent.DONE) && "udp-seq-recv".equals(e.get("workload")), WORK);
  }

  @Test
  void checkpointInTheMiddleOfTrafficKillRestoreAndEveryDatagramArrivesOnceInOrder()
      throws Exception {
    awaitReceiving(RATE * 3L);
    try (RemoteAgent remote =
        new RemoteAgent(
            "127.0.0.1",
            cluster.agentAddress().getPort(),
            new AgentToken("e2e-secret"),
            RemoteAgent.Timeouts.of(ProtocolSettings.DEFAULTS))) {
      remote.connect();
    }
    CheckpointResult r = cluster.checkpoint(false, log::add);
    assertThat(r.epoch()).isEqualTo(1);
    assertThat(r.downtimeNs()).isPositive();
    awaitReceiving(RATE * 6L);

    cluster.killGuests();
    Restorer.Restored restored = cluster.restore(null, log::add);
    assertThat(restored.guests()).hasSize(2);

    for (QmpHypervisor h : cluster.guests()) {
      GuestEvent done = recvDone(h);
      assertThat(done.getLong("received")).as(h.name() + " received").isEqualTo(COUNT);
      assertThat(done.getLong("gaps")).as(h.name() + " gaps").isZero();
      assertThat(done.getLong("dups")).as(h.name() + " duplicates").isZero();
      assertThat(done.getLong("reorders")).as(h.name() + " reorders").isZero();
    }
    QmpHypervisor g2 = cluster.guest("g2");
    GuestEvent fetch = g2.console().awaitEvent(e -> e.is(GuestEvent.FETCH), WORK);
    assertThat(fetch.ok()).isTrue();
    QmpHypervisor g1 = cluster.guest("g1");
    GuestEvent served =
        g1.console().events().stream()
            .filter(e -> e.is(GuestEvent.HTTP_SERVE))
            .findFirst()
            .orElse(null);
    if (served != null) {
      assertThat(fetch.get("md5")).isEqualTo(served.get("md5"));
    }
    VerifyReport report = verify();
    assertThat(report.checkpointsChecked()).isEqualTo(1);
    assertThat(report.restoresChecked()).isEqualTo(1);
    assertThat(report.exitStatus()).as("vccp verify on the recording and the checkpoint").isZero();
  }

  @Test
  void theNaiveProcedureLosesDatagramsThatTheReceiverReports() throws Exception {
    awaitReceiving(RATE * 3L);
    cluster.naiveStopGap(Duration.ofMillis(150));
    cluster.checkpoint(true, log::add);
    awaitReceiving(RATE * 6L);
    cluster.killGuests();
    cluster.restore(null, log::add);
    long gaps = 0;
    for (QmpHypervisor h : cluster.guests()) {
      GuestEvent done = recvDone(h);
      gaps += done.getLong("gaps");
    }
    assertThat(gaps)
        .as("datagrams the naive checkpoint lost (reported as gaps by the receivers)")
        .isPositive();
  }
}
