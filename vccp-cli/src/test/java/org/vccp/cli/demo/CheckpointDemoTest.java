package org.vccp.cli.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vccp.qemu.guest.QemuCommandLine;

/** What {@code ./vccp demo} does, with four real guests and a shorter workload. */
@Tag("qemu")
class CheckpointDemoTest {
  @TempDir Path dir;

  @Test
  void fourGuestsThreeCheckpointsKillRestoreAndVerifyClean() throws Exception {
    Assumptions.assumeTrue(
        QemuCommandLine.qemuAvailable(),
        "qemu-system-x86_64 is not on the PATH: install qemu-system-x86 to run real-guest tests");
    CheckpointDemo.Result r =
        new CheckpointDemo(dir, msg -> System.out.println("demo: " + msg))
            .run(new CheckpointDemo.Settings(2, 100, 20, 3, 2));
    assertThat(r.checkpoints()).hasSize(3);
    assertThat(r.checkpoints()).extracting(c -> c.epoch()).containsExactly(1L, 2L, 3L);
    assertThat(r.guests()).hasSize(4);
    for (var g : r.guests()) {
      assertThat(g.received()).as(g.name() + " received").isEqualTo(2000);
      assertThat(g.gaps() + g.dups() + g.reorders()).as(g.name() + " gaps+dups+reorders").isZero();
    }
    assertThat(r.guests().stream().filter(g -> !g.fetch().equals("-")))
        .hasSize(2)
        .allMatch(g -> g.fetch().matches("[0-9a-f]{32} = g\\d's"));
    assertThat(r.verify().checkpointsChecked()).isEqualTo(3);
    assertThat(r.verify().restoresChecked()).isEqualTo(1);
    assertThat(r.verify().exitStatus()).isZero();
    assertThat(r.clean()).isTrue();
  }
}
