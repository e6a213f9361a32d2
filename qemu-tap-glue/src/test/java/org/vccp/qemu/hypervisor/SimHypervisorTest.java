package org.vccp.qemu.hypervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vccp.qemu.guest.StreamSocket;
import org.vccp.qemu.image.GuestEvent;
import org.vccp.qemu.sim.SimGuestOptions;
import org.vccp.qemu.sim.SimWorkloadKind;

/**
 * A sim-guest process through the checkpoint protocol's {@link QmpHypervisor} code: its manifest
 * spec round trip, stop/save/cont, a restore through {@link SpecLauncher}, serial reports through
 * the shared console, and the error when the process has been killed.
 */
class SimHypervisorTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  @TempDir Path dir;

  private SimGuestOptions options() {
    return SimGuestOptions.builder("s1")
        .qmp(dir.resolve("s1/s1.qmp"))
        .netdev(StreamSocket.unix(dir.resolve("s1.sock"), true))
        .mac("52:54:00:00:00:21")
        .ip("10.0.0.21")
        .workload(SimWorkloadKind.UDP_SEQ_RECV)
        .serial(dir.resolve("s1/s1.serial.log"))
        .build();
  }

  @Test
  void theManifestSpecIsTheFreshStartCommandLine() {
    SimGuestOptions o = options();
    JsonNode spec = SimHypervisor.specOf(o.withIncomingDefer(true));
    assertThat(SimHypervisor.isSimSpec(spec)).isTrue();
    assertThat(spec.path("kind").asText()).isEqualTo("sim-guest");
    assertThat(spec.path("args").toString()).doesNotContain("--incoming");
    assertThat(SimHypervisor.optionsOf(spec)).isEqualTo(o);
    assertThat(
            SimHypervisor.isSimSpec(
                new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode()))
        .isFalse();
  }

  @Test
  void savesContinuesAndRestoresThroughTheSameQmpCodeAsQemu() throws Exception {
    Path image = dir.resolve("s1.vmstate");
    JsonNode spec;
    try (SimHypervisor g = SimHypervisor.start(options(), "p1")) {
      assertThat(g.name()).isEqualTo("s1");
      assertThat(g.port()).isEqualTo("p1");
      GuestEvent ready = g.console().awaitEvent(GuestEvent.READY, TIMEOUT);
      assertThat(ready.get("workload")).isEqualTo("udp-seq-recv");
      assertThat(g.isAlive()).isTrue();
      assertThat(g.status(TIMEOUT)).isEqualTo("running");
      g.stop(TIMEOUT);
      assertThat(g.status(TIMEOUT)).isEqualTo("paused");
      g.save(image, TIMEOUT);
      assertThat(Files.size(image)).isPositive();
      g.cont(TIMEOUT);
      assertThat(g.status(TIMEOUT)).isEqualTo("running");
      spec = g.spec();

      g.kill();
      assertThat(g.isAlive()).isFalse();
      assertThatThrownBy(() -> g.stop(TIMEOUT))
          .hasMessageContaining("sim-guest process is gone (killed by signal 9) during QMP stop");
    }

    try (var restored = (SimHypervisor) new SpecLauncher().startIncoming("s1", "p1", spec)) {
      assertThat(restored.options().incomingDefer()).isTrue();
      assertThat(restored.status(TIMEOUT)).isEqualTo("inmigrate");
      restored.load(image, TIMEOUT);
      assertThat(restored.status(TIMEOUT)).isEqualTo("paused");
      restored.cont(TIMEOUT);
      assertThat(restored.status(TIMEOUT)).isEqualTo("running");
      assertThat(restored.spec())
          .as("a restored guest records its fresh-start spec")
          .isEqualTo(spec);
      assertThat(restored.console().awaitEvent(GuestEvent.UDPSEQ, TIMEOUT).get("role"))
          .isEqualTo("recv");
    }
  }
}
