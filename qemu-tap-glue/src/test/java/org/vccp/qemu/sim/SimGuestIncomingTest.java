package org.vccp.qemu.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vccp.qemu.guest.StreamSocket;

/** {@code --incoming defer} in this JVM: loading over a Unix socket, and QEMU's autostart rule. */
class SimGuestIncomingTest {
  @TempDir Path dir;

  private SimGuestOptions guest(String name, boolean incoming) {
    return SimGuestOptions.builder("g")
        .qmp(dir.resolve(name + ".qmp"))
        .netdev(StreamSocket.unix(dir.resolve(name + ".sock"), true))
        .mac("52:54:00:00:00:07")
        .ip("10.0.0.7")
        .workload(SimWorkloadKind.ECHO)
        .serial(dir.resolve(name + ".serial"))
        .incomingDefer(incoming)
        .build();
  }

  @Test
  void loadsFromAUnixSocketPausedAndAnImageOfARunningGuestStartsByItself() throws Exception {
    Path pausedImage = dir.resolve("paused.img");
    Path runningImage = dir.resolve("running.img");
    try (SimGuest source = SimGuest.start(guest("a", false));
        QmpTestClient qmp = QmpTestClient.ready(dir.resolve("a.qmp"))) {
      qmp.ok("migrate", "{\"uri\":\"exec:cat > " + runningImage + "\"}");
      qmp.awaitMigration(s -> s.equals("completed"));
      qmp.ok("migrate", "{\"uri\":\"exec:cat > " + pausedImage + "\"}");
      qmp.awaitMigration(s -> s.equals("completed"));
    }
    assertThat(SimImage.read(runningImage).runState()).isEqualTo("running");
    assertThat(SimImage.read(pausedImage).runState()).isEqualTo("paused");

    try (SimGuest target = SimGuest.start(guest("b", true));
        QmpTestClient qmp = QmpTestClient.ready(dir.resolve("b.qmp"))) {
      assertThat(qmp.status()).isEqualTo("inmigrate");
      Path sock = dir.resolve("b.mig");
      qmp.ok("migrate-incoming", "{\"uri\":\"unix:" + sock + "\"}");
      assertThat(qmp.execute("migrate-incoming", "{\"uri\":\"unix:" + sock + "\"}").toString())
          .contains("already been started");
      try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
        c.connect(UnixDomainSocketAddress.of(sock)); // bound before migrate-incoming answered
        ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(pausedImage));
        while (bytes.hasRemaining()) {
          c.write(bytes);
        }
      }
      qmp.awaitStatus("paused");
      assertThat(qmp.ok("query-migrate").get("status").asText()).isEqualTo("completed");
      qmp.ok("cont");
      qmp.takeEvent("RESUME");
      assertThat(qmp.status()).isEqualTo("running");
    }

    try (SimGuest target = SimGuest.start(guest("c", true));
        QmpTestClient qmp = QmpTestClient.ready(dir.resolve("c.qmp"))) {
      qmp.ok("migrate-incoming", "{\"uri\":\"exec:cat " + runningImage + "\"}");
      qmp.takeEvent("RESUME"); // saved running, autostart on: it runs without cont
      assertThat(qmp.status()).isEqualTo("running");
    }
  }
}
