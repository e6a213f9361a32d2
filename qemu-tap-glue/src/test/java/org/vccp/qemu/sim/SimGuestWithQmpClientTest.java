package org.vccp.qemu.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vccp.qemu.guest.StreamSocket;
import org.vccp.qemu.qmp.MigrationStatus;
import org.vccp.qemu.qmp.MigrationUri;
import org.vccp.qemu.qmp.QmpClient;
import org.vccp.qemu.qmp.QmpEvent;
import org.vccp.qemu.qmp.QmpException;

/**
 * The project's own {@link QmpClient}, the one the checkpoint code uses on real QEMU, driving
 * sim-guests through the save and restore sequence of FACTS.md, and a corrupt restore.
 */
class SimGuestWithQmpClientTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  @TempDir Path dir;

  private SimGuestOptions guest(String name, boolean incoming) {
    return SimGuestOptions.builder("g")
        .qmp(dir.resolve(name + ".qmp"))
        .netdev(StreamSocket.unix(dir.resolve(name + ".sock"), true))
        .mac("52:54:00:00:00:08")
        .ip("10.0.0.8")
        .workload(SimWorkloadKind.UDP_SEQ_RECV)
        .serial(dir.resolve(name + ".serial"))
        .incomingDefer(incoming)
        .build();
  }

  @Test
  void savesAndRestoresThroughTheSharedQmpClient() throws Exception {
    Path image = dir.resolve("g.img");
    try (SimGuest source = SimGuest.start(guest("a", false));
        QmpClient qmp = QmpClient.connect(dir.resolve("a.qmp"), "guest a", TIMEOUT)) {
      assertThat(qmp.qemuVersion()).startsWith("7.2");
      assertThat(qmp.queryStatus()).isEqualTo("running");
      CompletableFuture<QmpEvent> stopped = qmp.nextEvent(QmpEvent.STOP);
      qmp.stop();
      qmp.awaitEvent(stopped, "STOP", TIMEOUT);
      MigrationStatus saved = qmp.saveState(MigrationUri.toFile(image), TIMEOUT);
      assertThat(saved.isCompleted()).isTrue();
      assertThat(saved.transferredBytes()).isEqualTo(Files.size(image));
      CompletableFuture<QmpEvent> resumed = qmp.nextEvent(QmpEvent.RESUME);
      qmp.cont();
      qmp.awaitEvent(resumed, "RESUME", TIMEOUT);
    }

    try (SimGuest target = SimGuest.start(guest("b", true));
        QmpClient qmp = QmpClient.connect(dir.resolve("b.qmp"), "guest b", TIMEOUT)) {
      assertThat(qmp.queryStatus()).isEqualTo("inmigrate");
      assertThat(qmp.loadState(MigrationUri.fromFile(image), TIMEOUT)).isEqualTo("paused");
      qmp.cont();
      assertThat(qmp.queryStatus()).isEqualTo("running");
      assertThatThrownBy(() -> qmp.call("no-such-command"))
          .isInstanceOf(QmpException.class)
          .hasMessageContaining("CommandNotFound");
    }

    byte[] bytes = Files.readAllBytes(image);
    bytes[bytes.length - 1] ^= 1;
    Files.write(image, bytes);
    try (SimGuest target = SimGuest.start(guest("c", true));
        QmpClient qmp = QmpClient.connect(dir.resolve("c.qmp"), "guest c", TIMEOUT)) {
      // Like QEMU, the guest gives up on a stream it cannot load: the monitor goes away.
      assertThatThrownBy(() -> qmp.loadState(MigrationUri.fromFile(image), TIMEOUT))
          .isInstanceOf(RuntimeException.class);
      assertThat(target.awaitExit()).isEqualTo(1);
    }
  }
}
