package org.vccp.checkpoint.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vccp.checkpoint.store.CheckpointStore;
import org.vccp.checkpoint.verify.ChannelStats;
import org.vccp.checkpoint.verify.Verifier;
import org.vccp.checkpoint.verify.VerifyContext;
import org.vccp.checkpoint.verify.VerifyReport;
import org.vccp.vnet.VirtualSwitch;
import org.vccp.vnet.config.SwitchContext;
import org.vccp.vnet.port.PortAddress;
import org.vccp.vnet.port.PortSpec;

/**
 * {@code vccp verify} on what the real protocol records: a checkpoint under two-way traffic, kill,
 * restore on the same switch. The recording, with the store's checkpoint, verifies clean: cuts,
 * channel state against the channel files, and its replay.
 */
class VerifyProtocolRecordingTest {
  private static final long MAC1 = 0x5254_0000_0001L;
  private static final long MAC2 = 0x5254_0000_0002L;
  private static final ProtocolSettings FAST =
      new ProtocolSettings(
          Duration.ofMillis(500),
          Duration.ofSeconds(5),
          Duration.ofSeconds(30),
          Duration.ofSeconds(30),
          Duration.ofMillis(20));

  @TempDir Path dir;
  private VirtualSwitch sw;
  private Agent agent;
  private final List<SocketGuest> guests = new CopyOnWriteArrayList<>();

  @AfterEach
  void tearDown() {
    for (SocketGuest g : guests) {
      g.kill();
    }
    if (agent != null) {
      agent.close();
    }
    if (sw != null) {
      sw.close();
    }
  }

  private void awaitReceived(int atLeast) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (guests.stream().anyMatch(g -> g.received().size() < atLeast)) {
      assertThat(System.nanoTime()).as("guests exchanging frames").isLessThan(deadline);
      Thread.sleep(10);
    }
  }

  @Test
  void checkpointKillRestoreRecordingVerifiesClean() throws Exception {
    SwitchContext ctx = new SwitchContext();
    ctx.recordDir = dir.resolve("rec");
    for (String n : List.of("g1", "g2")) {
      ctx.ports.add(
          PortSpec.listen(n, PortAddress.unix(dir.resolve(n + ".sock"))).withLossless(true));
    }
    sw = VirtualSwitch.start(ctx);
    CheckpointStore store = new CheckpointStore(dir.resolve("store"));
    guests.add(new SocketGuest("g1", "g1", dir.resolve("g1.sock"), MAC1, MAC2, false));
    guests.add(new SocketGuest("g2", "g2", dir.resolve("g2.sock"), MAC2, MAC1, false));
    agent = new Agent("local", sw, () -> new ArrayList<Hypervisor>(guests), FAST, l -> {});
    awaitReceived(50);
    new Coordinator(store, List.of(agent), null, l -> {}).checkpoint();
    awaitReceived(300);
    for (SocketGuest g : guests) {
      g.kill();
    }
    guests.clear();
    Restorer restorer =
        new Restorer(
            sw,
            (name, port, spec) -> {
              SocketGuest g =
                  new SocketGuest(
                      name,
                      port,
                      Path.of(spec.get("socket").asText()),
                      spec.get("mac").asLong(),
                      spec.get("peer").asLong(),
                      true);
              guests.add(g);
              return g;
            },
            FAST,
            l -> {});
    restorer.restore(store.open("1"));
    long sent = guests.stream().mapToLong(SocketGuest::sent).max().orElseThrow();
    awaitReceived((int) sent + 200);
    for (SocketGuest g : guests) {
      g.sending = false;
    }
    Thread.sleep(200);
    sw.stopRecording();

    VerifyContext v = new VerifyContext();
    v.inputs.add(dir.resolve("rec"));
    v.inputs.add(dir.resolve("store"));
    VerifyReport r = Verifier.run(v, null);
    assertThat(r.findings().list())
        .as("findings on a correct checkpoint/restore")
        .filteredOn(f -> f.severity() == org.vccp.checkpoint.verify.Severity.ERROR)
        .isEmpty();
    assertThat(r.exitStatus()).isZero();
    assertThat(r.checkpointsChecked()).isEqualTo(1);
    assertThat(r.restoresChecked()).isEqualTo(1);
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    r.print(new java.io.PrintStream(out, true), 50);
    System.out.println(out);
    assertThat(r.findings().count("checkpoint", "not-in-recording")).isZero();
    assertThat(r.channels()).extracting(ChannelStats::name).contains("g1->g2", "g2->g1");
    assertThat(r.channels().stream().mapToLong(ChannelStats::delivered).sum()).isGreaterThan(1000);
  }
}
