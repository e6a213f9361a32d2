package org.vccp.qemu.guest;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vccp.qemu.image.GuestEvent;
import org.vccp.qemu.image.GuestImage;
import org.vccp.qemu.image.GuestImageKit;
import org.vccp.qemu.image.GuestParams;
import org.vccp.qemu.image.Workload;
import org.vccp.qemu.qmp.MigrationStatus;
import org.vccp.qemu.qmp.QmpClient;
import org.vccp.qemu.qmp.QmpEvent;

/**
 * A counting guest is stopped, saved to a file through QMP ({@code migrate exec:cat > FILE}) and
 * killed; a new QEMU with the identical command line plus {@code -S -incoming defer} loads the file
 * and, after {@code cont}, counts on from where the first one stopped instead of booting again.
 */
@Tag("qemu")
class GuestSaveRestoreTest {

  private static final Duration BOOT_TIMEOUT = Duration.ofSeconds(90);
  private static final Duration MIGRATION_TIMEOUT = Duration.ofSeconds(60);

  private static GuestImage image;

  @TempDir Path dir;

  @BeforeAll
  static void needsQemu() {
    Assumptions.assumeTrue(
        QemuCommandLine.qemuAvailable(),
        "qemu-system-x86_64 is not on the PATH: install qemu-system-x86 to run real-guest tests");
    image = new GuestImageKit().build();
  }

  @Test
  void aSavedCounterGuestRestoredInANewQemuCountsOnFromItsCut() throws Exception {
    GuestSpec spec =
        GuestSpec.builder("c1")
            .image(image)
            .params(GuestParams.builder("c1").workloads(Workload.COUNTER).build())
            .nic(
                NicSpec.stream(
                    "n0", NicSpec.localMac(7), StreamSocket.unix(dir.resolve("c1.sock"), true)))
            .runDir(dir)
            .build();
    Path state = dir.resolve("c1.vmstate");
    long lastBeforeSave;

    try (QemuGuest original = QemuGuest.start(spec)) {
      original.awaitEvent(e -> e.is(GuestEvent.COUNTER) && e.getLong("n") >= 5, BOOT_TIMEOUT);
      QmpClient qmp = original.qmp();
      var stopped = qmp.nextEvent(QmpEvent.STOP);
      qmp.stop();
      qmp.awaitEvent(stopped, QmpEvent.STOP, MIGRATION_TIMEOUT);
      lastBeforeSave = lastCounter(original);

      long saveStart = System.nanoTime();
      MigrationStatus saved = original.saveTo(state, MIGRATION_TIMEOUT);
      long saveMs = (System.nanoTime() - saveStart) / 1_000_000;

      assertThat(saved.isCompleted()).isTrue();
      assertThat(Files.size(state)).isGreaterThan(1_000_000L);
      assertThat(qmp.queryStatus()).isEqualTo("postmigrate");
      assertThat(lastCounter(original))
          .as("a stopped guest counts no further")
          .isEqualTo(lastBeforeSave);
      System.out.printf(
          "saved c1 at COUNTER n=%d: %d bytes in %d ms (QEMU: total %d ms, downtime %d ms)%n",
          lastBeforeSave, Files.size(state), saveMs, saved.totalTimeMs(), saved.downtimeMs());
      original.kill();
    }

    try (QemuGuest restored = QemuGuest.startIncoming(spec)) {
      assertThat(restored.commandLine())
          .containsExactlyElementsOf(QemuCommandLine.buildIncoming(spec))
          .startsWith(QemuCommandLine.build(spec).toArray(String[]::new));
      QmpClient qmp = restored.qmp();
      assertThat(qmp.queryStatus()).isEqualTo("inmigrate");

      long loadStart = System.nanoTime();
      String loaded = restored.loadFrom(state, MIGRATION_TIMEOUT);
      long loadMs = (System.nanoTime() - loadStart) / 1_000_000;
      assertThat(loaded).isEqualTo("paused");
      var resumed = qmp.nextEvent(QmpEvent.RESUME);
      qmp.cont();
      qmp.awaitEvent(resumed, QmpEvent.RESUME, MIGRATION_TIMEOUT);

      GuestEvent next =
          restored.awaitEvent(
              e -> e.is(GuestEvent.COUNTER) && e.getLong("n") >= lastBeforeSave + 5,
              MIGRATION_TIMEOUT);
      List<Long> counts =
          restored.events().stream()
              .filter(e -> e.is(GuestEvent.COUNTER))
              .map(e -> e.getLong("n"))
              .toList();
      System.out.printf("restored c1 in %d ms; counting on: %s%n", loadMs, counts.subList(0, 3));
      assertThat(next.getLong("n")).isGreaterThan(lastBeforeSave);
      assertThat(restored.events())
          .as("the restored guest did not boot again")
          .noneMatch(e -> e.is(GuestEvent.BOOT) || e.is(GuestEvent.READY));
      // the first line may be the tail of a line cut by the stop; the counting goes on from there
      assertThat(counts.get(0)).isBetween(lastBeforeSave + 1, lastBeforeSave + 2);
      for (int i = 1; i < counts.size(); i++) {
        assertThat(counts.get(i)).isEqualTo(counts.get(i - 1) + 1);
      }
      assertThat(qmp.queryStatus()).isEqualTo("running");
    }
  }

  private static long lastCounter(QemuGuest guest) {
    return guest.events().stream()
        .filter(e -> e.is(GuestEvent.COUNTER))
        .mapToLong(e -> e.getLong("n"))
        .max()
        .orElseThrow();
  }
}
