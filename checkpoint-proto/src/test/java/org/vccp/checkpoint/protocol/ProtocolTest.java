package org.vccp.checkpoint.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vccp.checkpoint.store.CheckpointStore;
import org.vccp.checkpoint.store.Manifest;
import org.vccp.vnet.VirtualSwitch;
import org.vccp.vnet.config.SwitchContext;
import org.vccp.vnet.port.PortAddress;
import org.vccp.vnet.port.PortSpec;

/**
 * The protocol on a real switch over real sockets, with stand-in guests: checkpoint under two-way
 * traffic, kill, restore, and every failure path leaving no guest paused and no hold on.
 */
class ProtocolTest {
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
  private final List<SocketGuest> guests = new CopyOnWriteArrayList<>();
  private final List<String> progress = new CopyOnWriteArrayList<>();
  private Agent agent;
  private CheckpointStore store;

  @BeforeEach
  void setUp() throws Exception {
    SwitchContext ctx = new SwitchContext();
    ctx.recordDir = dir.resolve("rec");
    for (String n : List.of("g1", "g2")) {
      ctx.ports.add(
          PortSpec.listen(n, PortAddress.unix(dir.resolve(n + ".sock"))).withLossless(true));
    }
    sw = VirtualSwitch.start(ctx);
    store = new CheckpointStore(dir.resolve("store"));
  }

  @AfterEach
  void tearDown() {
    for (SocketGuest g : guests) {
      g.kill();
    }
    if (agent != null) {
      agent.close();
    }
    sw.close();
  }

  private void startGuests() throws Exception {
    guests.add(new SocketGuest("g1", "g1", dir.resolve("g1.sock"), MAC1, MAC2, false));
    guests.add(new SocketGuest("g2", "g2", dir.resolve("g2.sock"), MAC2, MAC1, false));
    agent = agent(FAST);
    awaitReceived(50);
  }

  private Agent agent(ProtocolSettings s) {
    return new Agent("local", sw, () -> new ArrayList<Hypervisor>(guests), s, progress::add);
  }

  private Coordinator coordinator() {
    return new Coordinator(store, List.of(agent), null, progress::add);
  }

  private void awaitReceived(int atLeast) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (guests.stream().anyMatch(g -> g.received().size() < atLeast)) {
      assertThat(System.nanoTime()).as("guests exchanging frames").isLessThan(deadline);
      Thread.sleep(10);
    }
  }

  private static void assertContiguous(List<Long> seqs) {
    for (int i = 0; i < seqs.size(); i++) {
      assertThat(seqs.get(i))
          .as("frame %d of %d (no loss, duplicate or reorder)", i, seqs.size())
          .isEqualTo(i + 1);
    }
  }

  private void assertNothingPausedOrHeld() {
    assertThat(agent.idle()).isTrue();
    assertThat(guests).filteredOn(SocketGuest::isAlive).noneMatch(SocketGuest::isPaused);
    assertThat(sw.heldFrames("g1")).isEmpty();
    assertThat(sw.heldFrames("g2")).isEmpty();
  }

  @Test
  void checkpointKillRestoreLosesDuplicatesAndReordersNothing() throws Exception {
    startGuests();
    CheckpointResult r = coordinator().checkpoint();
    assertThat(r.dir().getFileName().toString()).isEqualTo("ckpt-000001");
    Manifest m = store.open("1").manifest();
    assertThat(m.guests()).extracting(Manifest.Guest::name).containsExactly("g1", "g2");
    assertThat(m.channels()).extracting(Manifest.Channel::port).containsExactly("g1", "g2");
    assertThat(m.downtimeNs()).isPositive().isLessThan(r.totalNs());
    assertNothingPausedOrHeld();
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
            progress::add);
    Restorer.Restored restored = restorer.restore(store.open("1"));
    assertThat(restored.guests()).hasSize(2);
    long[] sentAtRestore = guests.stream().mapToLong(SocketGuest::sent).toArray();
    awaitReceived((int) Math.max(sentAtRestore[0], sentAtRestore[1]) + 200);
    for (SocketGuest g : guests) {
      g.sending = false;
    }
    Thread.sleep(200);
    SocketGuest g1 = guests.stream().filter(g -> g.name().equals("g1")).findFirst().orElseThrow();
    SocketGuest g2 = guests.stream().filter(g -> g.name().equals("g2")).findFirst().orElseThrow();
    assertContiguous(g1.received());
    assertContiguous(g2.received());
    assertThat(g1.received()).hasSize((int) g2.sent());
    assertThat(g2.received()).hasSize((int) g1.sent());
    assertThat(progress).anyMatch(l -> l.contains("committed ckpt-000001"));
  }

  @Test
  void aGuestKilledDuringPrepareAbandonsTheEpochAndLeavesTheLastCheckpointIntact()
      throws Exception {
    startGuests();
    coordinator().checkpoint();
    guests.get(1).dieOnStop = true;
    assertThatThrownBy(() -> coordinator().checkpoint())
        .isInstanceOf(CheckpointException.class)
        .hasMessageContaining("prepare")
        .hasMessageContaining("guest g2")
        .hasMessageContaining("died");
    assertNothingPausedOrHeld();
    assertThat(store.list()).hasSize(1);
    assertThat(Files.exists(store.root().resolve("ckpt-000002.partial"))).isFalse();
    CheckpointStore.verify(store.open("1"));
    int before = guests.get(0).received().size();
    Thread.sleep(100);
    assertThat(guests.get(0).isPaused()).isFalse();
    assertThat(guests.get(1).received()).as("g1 keeps sending; g2 is dead").isNotNull();
    assertThat(before).isPositive();
  }

  @Test
  void aGuestThatNeverReadsItsSocketTimesOutTheDrainAndEveryGuestRuns() throws Exception {
    startGuests();
    guests.get(1).readerStalled = true;
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (sw.port("g2").unsentBytes() == 0 && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertThatThrownBy(() -> coordinator().checkpoint())
        .hasMessageContaining("guest g2")
        .hasMessageContaining("did not read");
    assertNothingPausedOrHeld();
    assertThat(store.list()).isEmpty();
    guests.get(1).readerStalled = false;
    awaitReceived(guests.get(1).received().size() + 100);
  }

  @Test
  void anAgentWhoseCoordinatorGoesSilentResumesItsGuestsByItself() throws Exception {
    guests.add(new SocketGuest("g1", "g1", dir.resolve("g1.sock"), MAC1, MAC2, false));
    guests.add(new SocketGuest("g2", "g2", dir.resolve("g2.sock"), MAC2, MAC1, false));
    agent =
        agent(
            new ProtocolSettings(
                Duration.ofSeconds(2),
                Duration.ofSeconds(5),
                Duration.ofSeconds(30),
                Duration.ofMillis(300),
                Duration.ofMillis(20)));
    awaitReceived(20);
    agent.prepare(1, false);
    assertThat(guests).allMatch(SocketGuest::isPaused);
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!agent.idle() && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertNothingPausedOrHeld();
    assertThat(progress).anyMatch(l -> l.contains("coordinator silent"));
  }

  @Test
  void aFullDiskAbandonsTheEpochAndKeepsThePreviousCheckpoint() throws Exception {
    assumeTrue(
        "root".equals(System.getProperty("user.name")),
        "needs root to mount a tiny tmpfs; CI runs as root");
    Path tiny = Files.createDirectories(dir.resolve("tiny"));
    Process mount =
        new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", tiny.toString())
            .inheritIO()
            .start();
    assertThat(mount.waitFor()).isZero();
    try {
      store = new CheckpointStore(tiny);
      startGuests();
      coordinator().checkpoint();
      try (var out = Files.newOutputStream(tiny.resolve("filler"))) {
        for (int i = 0; i < 1024; i++) {
          out.write(new byte[1024]);
        }
      } catch (java.io.IOException full) {
        // the store is full now, as intended
      }
      assertThatThrownBy(() -> coordinator().checkpoint())
          .isInstanceOf(CheckpointException.class)
          .hasMessageContaining("snapshot");
      assertNothingPausedOrHeld();
      assertThat(store.list()).hasSize(1);
      CheckpointStore.verify(store.open("1"));
      try (Stream<Path> s = Files.list(tiny)) {
        assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".partial"));
      }
    } finally {
      new ProcessBuilder("umount", "-l", tiny.toString()).inheritIO().start().waitFor();
    }
  }
}
