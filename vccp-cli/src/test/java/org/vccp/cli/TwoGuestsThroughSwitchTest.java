package org.vccp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vccp.cli.demo.TwoGuestRun;
import org.vccp.qemu.guest.QemuCommandLine;

/**
 * End to end: two real QEMU guests (TCG) on vccp switch, one attached in each direction of {@code
 * -netdev stream}. Booted once for the class.
 */
@Tag("qemu")
class TwoGuestsThroughSwitchTest {
  private static final int SIZE_MB = 8;
  private static final int PINGS = 3;

  @TempDir static Path dir;
  private static TwoGuestRun run;
  private static TwoGuestRun.Result result;

  @BeforeAll
  static void runBoth() {
    Assumptions.assumeTrue(
        QemuCommandLine.qemuAvailable(),
        "qemu-system-x86_64 is not on the PATH: install qemu-system-x86 to run real-guest tests");
    run = new TwoGuestRun(dir, msg -> System.out.println("e2e: " + msg));
    result = run.run(SIZE_MB, PINGS);
  }

  @AfterAll
  static void stop() {
    if (run != null) {
      run.close();
    }
  }

  @Test
  void guestsPingEachOtherThroughTheSwitch() {
    assertThat(result.guests()).hasSize(2);
    for (var g : result.guests()) {
      assertThat(g.pingsSent()).as(g.name()).isEqualTo(PINGS);
      assertThat(g.pingsOk()).as(g.name()).isEqualTo(PINGS);
    }
  }

  @Test
  void eightMegabytesOverHttpArriveWithTheRightMd5() {
    assertThat(result.servedBytes()).isEqualTo(SIZE_MB * 1024L * 1024L);
    assertThat(result.fetchedBytes()).isEqualTo(result.servedBytes());
    assertThat(result.fetchedMd5()).hasSize(32).isEqualTo(result.servedMd5());
  }

  @Test
  void bothPortDirectionsCarriedTrafficWithoutDrops() {
    assertThat(result.ports()).extracting(TwoGuestRun.PortReport::name).containsExactly("g1", "g2");
    long minDataFrames = SIZE_MB * 1024L * 1024L / 1514;
    var g1 = result.ports().get(0);
    var g2 = result.ports().get(1);
    // g1 serves: its data frames enter at port g1 and leave at port g2; ACKs go the other way.
    assertThat(g1.rxFrames()).as("g1 rx (HTTP data)").isGreaterThan(minDataFrames);
    assertThat(g2.txFrames()).as("g2 tx (HTTP data)").isGreaterThan(minDataFrames);
    assertThat(g2.rxFrames()).as("g2 rx (ACKs, pings)").isGreaterThan(50);
    assertThat(g1.txFrames()).as("g1 tx (ACKs, pings)").isGreaterThan(50);
    for (var p : result.ports()) {
      assertThat(p.drops()).as(p.name() + " drops").isZero();
    }
    assertThat(result.macsLearned()).isEqualTo(2);
  }
}
