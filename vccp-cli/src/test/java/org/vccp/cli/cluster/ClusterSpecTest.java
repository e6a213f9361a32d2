package org.vccp.cli.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cluster files: the optional agent block, the guest kind and simulated guests' workload, and the
 * errors that name what is wrong.
 */
class ClusterSpecTest {
  private static final String GUESTS = "guests:\n  - {name: g1, ip: 10.0.0.1/24}\n";

  @TempDir Path dir;

  private ClusterSpec read(String yaml) throws Exception {
    Path file = dir.resolve("cluster.yaml");
    Files.writeString(file, yaml);
    return ClusterSpec.read(file);
  }

  @Test
  void anAgentBlockGivesTheListenAddressAndTokenFile() throws Exception {
    ClusterSpec s =
        read(GUESTS + "agent: {listen: 127.0.0.1:7070, token_file: secrets/agent.token}\n");
    assertThat(s.agent.host()).isEqualTo("127.0.0.1");
    assertThat(s.agent.port()).isEqualTo(7070);
    assertThat(s.agent.tokenFile).isEqualTo("secrets/agent.token");
    assertThat(read(GUESTS).agent).isNull();
  }

  @Test
  void aBadAgentBlockIsRefusedWithWhatToWrite() {
    assertThatThrownBy(() -> read(GUESTS + "agent: {listen: 7070, token_file: t}\n"))
        .hasMessageContaining("agent.listen '7070' must be HOST:PORT");
    assertThatThrownBy(() -> read(GUESTS + "agent: {listen: 0.0.0.0:7070}\n"))
        .hasMessageContaining("agent.token_file is required");
    assertThatThrownBy(() -> read(GUESTS + "agent: {listen: h:1, token: x}\n"))
        .hasMessageContaining("not a valid cluster file");
  }

  @Test
  void guestKindIsAutoUnlessTheFileSaysQemuOrSimulated() throws Exception {
    assertThat(read(GUESTS).kind()).isEqualTo(GuestKind.AUTO);
    assertThat(read("guest_kind: qemu\n" + GUESTS).kind()).isEqualTo(GuestKind.QEMU);
    assertThat(read("guest_kind: simulated\n" + GUESTS).kind()).isEqualTo(GuestKind.SIMULATED);
    assertThat(GuestKind.AUTO.resolve()).isIn(GuestKind.QEMU, GuestKind.SIMULATED);
    assertThatThrownBy(() -> read("guest_kind: kvm\n" + GUESTS))
        .hasMessageContaining("guest_kind 'kvm' must be qemu, simulated or auto");
  }

  @Test
  void aSimulatedGuestRunsTheOneWorkloadItCan() throws Exception {
    ClusterSpec s =
        read(
            "guest_kind: simulated\n"
                + "guests:\n"
                + "  - {name: a, ip: 10.0.0.1/24, workloads: [http-serve, udp-seq-recv]}\n"
                + "  - {name: b, ip: 10.0.0.2/24, workloads: [http-fetch-md5]}\n"
                + "  - {name: c, ip: 10.0.0.3/24, peer: 10.0.0.1, workloads: [udp-seq-recv,"
                + " udp-seq-send], sim_workload: udp-seq-send}\n");
    assertThat(s.guests)
        .extracting(g -> ClusterSpec.simWorkload(g).cliName())
        .containsExactly("udp-seq-recv", "idle", "udp-seq-send");
  }

  @Test
  void aSimulatedGuestWithTwoWorkloadsMustSayWhich() {
    assertThatThrownBy(
            () ->
                read(
                    "guest_kind: simulated\nguests:\n  - {name: g1, ip: 10.0.0.1/24,"
                        + " workloads: [udp-seq-recv, udp-seq-send]}\n"))
        .hasMessageContaining("guest g1: a simulated guest runs one workload")
        .hasMessageContaining("sim_workload: udp-seq-recv");
    assertThatThrownBy(
            () -> read("guests:\n  - {name: g1, ip: 10.0.0.1/24, sim_workload: http-serve}\n"))
        .hasMessageContaining("guest g1: sim_workload: unknown workload 'http-serve'");
  }
}
