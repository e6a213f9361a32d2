package org.vccp.cli.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@code ./vccp demo --simulated} (and {@code ./vccp demo} without QEMU) does: four simulated
 * guests in two sender/receiver pairs, three checkpoints, every guest killed, restore, the
 * workloads run to the end, and the receivers' reports and vccp verify come out clean. Needs
 * nothing installed.
 */
class SimulatedCheckpointDemoTest {
  @TempDir Path dir;

  @Test
  void fourSimulatedGuestsThreeCheckpointsKillRestoreAndVerifyClean() throws Exception {
    CheckpointDemo.Result r =
        new CheckpointDemo(dir, msg -> System.out.println("demo: " + msg))
            .run(new CheckpointDemo.Settings(2, 200, 15, 3, 2, true));
    assertThat(r.checkpoints()).extracting(c -> c.epoch()).containsExactly(1L, 2L, 3L);
    assertThat(r.guests()).hasSize(4);
    assertThat(r.guests()).filteredOn(g -> g.sender()).hasSize(2);
    for (var g : r.guests()) {
      assertThat(g.received()).as(g.name() + (g.sender() ? " sent" : " received")).isEqualTo(3000);
      assertThat(g.gaps() + g.dups() + g.reorders()).as(g.name() + " gaps+dups+reorders").isZero();
      assertThat(g.fetch()).isEqualTo("-");
    }
    assertThat(r.verify().checkpointsChecked()).isEqualTo(3);
    assertThat(r.verify().restoresChecked()).isEqualTo(1);
    assertThat(r.verify().exitStatus()).isZero();
    assertThat(r.clean()).isTrue();
  }
}
