package org.vccp.perf.loadgen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The generator through a real QEMU hub: frames arrive, none are lost. */
@Tag("qemu")
class QemuHubPeerTest {
  @Test
  void oneToOneSmallFramesAtMaxRateArriveWithoutLoss() throws Exception {
    assumeTrue(
        QemuHubPeer.available(QemuHubPeer.DEFAULT_BINARY),
        "qemu-system-x86_64 is not installed; skipping the QEMU hub run");

    BenchmarkRun run =
        new BenchmarkRunner(QemuHubPeer::new)
            .run(LoadSpec.of(1, 1, 64, SendMode.MAX, 0, 500, 2_000));

    assertThat(run.error()).isNull();
    LoadResult r = run.result();
    assertThat(r.framesReceivedInWindow()).isPositive();
    assertThat(r.lost()).isZero();
    assertThat(r.duplicated()).isZero();
    assertThat(r.reordered()).isZero();
    assertThat(run.peerRssKib()).isPositive();
  }
}
