package org.vccp.cli.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.vccp.checkpoint.protocol.CheckpointException;
import org.vccp.checkpoint.protocol.CheckpointResult;
import org.vccp.checkpoint.protocol.ProtocolSettings;
import org.vccp.checkpoint.store.CheckpointStore;
import org.vccp.checkpoint.store.Sha256;
import org.vccp.qemu.hypervisor.QmpHypervisor;
import org.vccp.qemu.hypervisor.SimHypervisor;
import org.vccp.qemu.image.GuestEvent;

/**
 * Failure handling of the coordinated checkpoint (issue 5, item 7) through the real Cluster, Agent,
 * Coordinator and Restorer, with two simulated guests as real processes (g1 sends numbered
 * datagrams to g2): a guest killed with SIGKILL during prepare and during snapshot, a store that
 * fills up (a tiny tmpfs; needs root), a flipped byte in a committed image and in a channel file,
 * and a guest that stops reading its socket (SIGSTOP) until the drain timeout. A coordinator killed
 * mid-epoch is checkpoint-proto's RemoteAgentTest.
 *
 * <p>After every failure: no live guest is paused (QMP {@code query-status}), no port holds a frame
 * and the agent holds nothing, no partial checkpoint is left, the previous committed checkpoint is
 * byte-for-byte untouched — and it is restored, after which both guests run on and the receiver
 * counts no gap or duplicate. The error names the guest, the phase or the file. Faults are placed
 * by the agent's phase progress lines ({@code holding}, {@code saving}), which it writes
 * synchronously before going on.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClusterFailureTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final Duration QMP = Duration.ofSeconds(10);
  private static final ProtocolSettings SETTINGS =
      new ProtocolSettings(
          Duration.ofMillis(1500),
          QMP,
          Duration.ofSeconds(30),
          Duration.ofSeconds(60),
          Duration.ofMillis(20));

  private Path dir;
  private Path store;
  private boolean tmpfs;
  private Cluster cluster;
  private final List<String> log = new CopyOnWriteArrayList<>();

  @BeforeAll
  void up() throws Exception {
    dir = Files.createTempDirectory("vccp-failure-");
    store = Files.createDirectories(dir.resolve("store"));
    tmpfs = mountTinyTmpfs(store);
    Path file = dir.resolve("cluster.yaml");
    Files.writeString(
        file,
        String.join(
            "\n",
            "name: fail" + ProcessHandle.current().pid(),
            "guest_kind: simulated",
            "store: " + store,
            "guests:",
            "  - {name: g1, ip: 10.0.0.1/24, peer: 10.0.0.2, workloads: [udp-seq-send], rate: 200}",
            "  - {name: g2, ip: 10.0.0.2/24, peer: 10.0.0.1, workloads: [udp-seq-recv], rate: 200}",
            ""));
    cluster = Cluster.up(ClusterSpec.read(file), dir, dir.resolve("run"), SETTINGS, log::add);
  }

  @AfterAll
  void down() throws Exception {
    try {
      if (cluster != null) {
        cluster.close();
      }
    } finally {
      if (tmpfs) {
        run("umount", store.toString());
      }
      try (Stream<Path> walk = Files.walk(dir)) {
        walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  @BeforeEach
  void trafficFlows() {
    for (QmpHypervisor h : cluster.guests()) {
      assertThat(h.isAlive()).as(h.name() + " alive before the test").isTrue();
    }
    awaitRunningOn();
  }

  @Test
  void guestKilledDuringPrepare() throws Exception {
    CheckpointStore.Committed previous = committed(cluster.checkpoint(false, log::add));
    Map<String, String> before = fingerprint(previous.dir());

    CheckpointException e =
        failingCheckpoint(line -> killOn(line, ": holding ", "g2"), CheckpointException.class);

    assertThat(e.phase()).isEqualTo("prepare");
    assertThat(e.guest()).isEqualTo("g2");
    assertThat(e.getMessage()).contains("prepare", "g2", "killed by signal 9");
    assertCleanAfterFailure(previous, before);
    restoreAndRunOn(previous);
  }

  @Test
  void guestKilledDuringSnapshot() throws Exception {
    CheckpointStore.Committed previous = committed(cluster.checkpoint(false, log::add));
    Map<String, String> before = fingerprint(previous.dir());

    CheckpointException e =
        failingCheckpoint(line -> killOn(line, ": saving ", "g2"), CheckpointException.class);

    assertThat(e.phase()).isEqualTo("snapshot");
    assertThat(e.guest()).isEqualTo("g2");
    assertThat(e.getMessage()).contains("snapshot", "g2", "killed by signal 9");
    assertCleanAfterFailure(previous, before);
    restoreAndRunOn(previous);
  }

  @Test
  void storeFillsUp() throws Exception {
    Assumptions.assumeTrue(
        tmpfs, "needs root to mount a tiny tmpfs as the store; skipped (not root or no mount)");
    CheckpointStore.Committed previous = committed(cluster.checkpoint(false, log::add));
    Map<String, String> before = fingerprint(previous.dir());
    Path filler = store.resolve("filler");
    fill(filler);
    CheckpointException e;
    try {
      e = failingCheckpoint(line -> {}, CheckpointException.class);
    } finally {
      Files.delete(filler);
    }
    assertThat(e.phase()).isEqualTo("snapshot");
    assertThat(e.getMessage()).contains(store.toString(), ".vmstate", "free space");
    assertCleanAfterFailure(previous, before);
    restoreAndRunOn(previous);
  }

  @Test
  void flippedByteInACommittedImageIsRefusedBeforeAnyGuestIsTouched() throws Exception {
    refusedWithoutTouchingGuests("guest-g1.vmstate");
  }

  @Test
  void flippedByteInAChannelFileIsRefusedBeforeAnyGuestIsTouched() throws Exception {
    refusedWithoutTouchingGuests("channel-g2.pcapng");
  }

  private void refusedWithoutTouchingGuests(String file) throws Exception {
    CheckpointStore.Committed previous = committed(cluster.checkpoint(false, log::add));
    Map<String, String> before = fingerprint(previous.dir());
    CheckpointStore.Committed damaged = committed(cluster.checkpoint(false, log::add));
    Path victim = damaged.dir().resolve(file);
    assertThat(victim).exists();
    flipOneByte(victim);
    List<Long> pids = cluster.guests().stream().map(QmpHypervisor::pid).toList();

    CheckpointException e =
        catchThrowableOfType(
            () -> cluster.restore(damaged.name(), log::add), CheckpointException.class);

    assertThat(e).as("restore of a damaged checkpoint").isNotNull();
    assertThat(e.phase()).isEqualTo("verify");
    assertThat(e.getMessage()).contains(damaged.name(), file, "no guest was touched");
    assertThat(cluster.guests().stream().map(QmpHypervisor::pid).toList())
        .as("the same guest processes")
        .isEqualTo(pids);
    assertCleanAfterFailure(previous, before);
    awaitRunningOn();
    restoreAndRunOn(previous);
  }

  @Test
  void guestThatStopsReadingItsSocketHitsTheDrainTimeout() throws Exception {
    CheckpointStore.Committed previous = committed(cluster.checkpoint(false, log::add));
    Map<String, String> before = fingerprint(previous.dir());
    SimHypervisor g2 = (SimHypervisor) cluster.guest("g2");
    CheckpointException e;
    run("kill", "-STOP", Long.toString(g2.pid()));
    try {
      awaitUnread("g2");
      e = failingCheckpoint(line -> {}, CheckpointException.class);
    } finally {
      run("kill", "-CONT", Long.toString(g2.pid()));
    }
    assertThat(e.phase()).isEqualTo("prepare");
    assertThat(e.guest()).isEqualTo("g2");
    assertThat(e.getMessage()).contains("did not read", "1500 ms");
    assertCleanAfterFailure(previous, before);
    awaitRunningOn();
    restoreAndRunOn(previous);
  }

  // ---- the checks every case makes ------------------------------------------------------------

  private <T extends Throwable> T failingCheckpoint(Consumer<String> fault, Class<T> type) {
    List<String> lines = new CopyOnWriteArrayList<>();
    T e =
        catchThrowableOfType(
            () ->
                cluster.checkpoint(
                    false,
                    line -> {
                      lines.add(line);
                      log.add(line);
                      fault.accept(line);
                    }),
            type);
    assertThat(e).as("the checkpoint fails; progress: " + lines).isNotNull();
    assertThat(lines).anyMatch(l -> l.contains("abandoned"));
    System.out.println("failure as the user sees it: " + e.getMessage());
    return e;
  }

  private void killOn(String line, String phase, String guest) {
    if (line.contains(phase)) {
      cluster.guest(guest).kill();
    }
  }

  /** No live guest paused, no hold on, no partial checkpoint, the previous checkpoint untouched. */
  private void assertCleanAfterFailure(
      CheckpointStore.Committed previous, Map<String, String> before) throws IOException {
    assertThat(cluster.checkpointIdle()).as("the agent holds no guest and no port").isTrue();
    for (QmpHypervisor h : cluster.guests()) {
      if (h.isAlive()) {
        assertThat(h.status(QMP)).as(h.name() + " run state").isEqualTo("running");
      }
      assertThat(cluster.virtualSwitch().heldFrames(h.port()))
          .as("frames held on port " + h.port())
          .isEmpty();
    }
    try (Stream<Path> s = Files.list(store)) {
      assertThat(s.map(p -> p.getFileName().toString()))
          .as("partial checkpoints left in the store")
          .noneMatch(n -> n.endsWith(".partial"));
    }
    assertThat(fingerprint(previous.dir()))
        .as("files of the previous checkpoint " + previous.name())
        .isEqualTo(before);
    CheckpointStore.verify(previous);
  }

  /** Restores {@code c} and checks that both guests run on and the receiver misses nothing. */
  private void restoreAndRunOn(CheckpointStore.Committed c) throws Exception {
    var restored = cluster.restore(c.name(), log::add);
    assertThat(restored.guests()).hasSize(2);
    awaitRunningOn();
    GuestEvent recv = lastReport(cluster.guest("g2"), "recv");
    assertThat(recv.getLong("gaps")).as("gaps after restoring " + c.name()).isZero();
    assertThat(recv.getLong("dups")).as("duplicates after restoring " + c.name()).isZero();
    assertThat(recv.getLong("reorders")).as("reorders after restoring " + c.name()).isZero();
  }

  /** Both guests' counters move: g1 sends, g2 receives (new reports after the ones seen now). */
  private void awaitRunningOn() {
    for (QmpHypervisor h : cluster.guests()) {
      assertThat(h.status(QMP)).as(h.name() + " run state").isEqualTo("running");
      String role = h.name().equals("g1") ? "send" : "recv";
      String key = role.equals("send") ? "sent" : "received";
      long now = h.console().awaitEvent(e -> isReport(e, role), WAIT).getLong(key);
      long seen = Math.max(now, lastReport(h, role).getLong(key));
      h.console().awaitEvent(e -> isReport(e, role) && e.getLong(key) > seen, WAIT);
    }
  }

  private static boolean isReport(GuestEvent e, String role) {
    return e.is(GuestEvent.UDPSEQ) && role.equals(e.get("role"));
  }

  private static GuestEvent lastReport(QmpHypervisor h, String role) {
    List<GuestEvent> reports =
        h.console().events().stream().filter(e -> isReport(e, role)).toList();
    assertThat(reports).as(h.name() + " UDPSEQ reports").isNotEmpty();
    return reports.get(reports.size() - 1);
  }

  /** Waits until the switch has written bytes to {@code port} that its guest has not read. */
  private void awaitUnread(String port) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (cluster.virtualSwitch().port(port).unsentBytes() == 0) {
      assertThat(System.nanoTime()).as("unread bytes on " + port).isLessThan(deadline);
      Thread.onSpinWait();
    }
  }

  private CheckpointStore.Committed committed(CheckpointResult r) throws IOException {
    return cluster.store().open(r.dir().getFileName().toString());
  }

  private static Map<String, String> fingerprint(Path dir) throws IOException {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> s = Files.list(dir)) {
      for (Path p : s.toList()) {
        out.put(p.getFileName().toString(), Sha256.of(p));
      }
    }
    return out;
  }

  private static void flipOneByte(Path file) throws IOException {
    byte[] bytes = Files.readAllBytes(file);
    bytes[bytes.length / 2] ^= 0x01;
    Files.write(file, bytes);
  }

  /** Writes zeros into {@code file} until the file system is full. */
  private static void fill(Path file) throws IOException {
    byte[] block = new byte[64 * 1024];
    try (OutputStream out = Files.newOutputStream(file)) {
      while (true) {
        out.write(block);
      }
    } catch (IOException full) {
      assertThat(full.getMessage()).contains("No space left");
    }
    Path probe = file.resolveSibling("probe");
    try {
      assertThatThrownBy(() -> Files.write(probe, block)).isInstanceOf(IOException.class);
    } finally {
      Files.deleteIfExists(probe);
    }
  }

  private static boolean mountTinyTmpfs(Path at) {
    try {
      return run("mount", "-t", "tmpfs", "-o", "size=1m", "vccp-test-store", at.toString()) == 0;
    } catch (IOException | InterruptedException e) {
      return false;
    }
  }

  private static int run(String... command) throws IOException, InterruptedException {
    return new ProcessBuilder(command).inheritIO().start().waitFor();
  }
}
