package org.vccp.qemu.sim;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vccp.qemu.guest.StreamSocket;

/** One sim-guest process spoken to over its QMP socket, the way VCCP speaks to QEMU. */
class SimGuestQmpTest {

  @TempDir Path dir;

  private SimGuestOptions idle(String name) {
    return SimGuestOptions.builder(name)
        .qmp(dir.resolve(name + ".qmp"))
        .netdev(StreamSocket.unix(dir.resolve(name + ".net"), true))
        .mac("52:54:00:00:00:0a")
        .ip("10.0.0.10")
        .serial(dir.resolve(name + ".serial"))
        .build();
  }

  @Test
  void greetsNegotiatesStopsContinuesAndReportsErrorsLikeQemu() throws Exception {
    try (SimGuestProcess guest = SimGuestProcess.start(idle("q1"), dir.resolve("q1.log"));
        QmpTestClient qmp =
            QmpTestClient.connect(guest.options().qmpSocket(), Duration.ofSeconds(30))) {
      JsonNode greeting = qmp.greeting().get("QMP");
      assertThat(greeting.at("/version/qemu/major").asInt()).isEqualTo(7);
      assertThat(greeting.get("capabilities").isArray()).isTrue();

      JsonNode early = qmp.raw("{\"execute\":\"query-status\",\"id\":1}");
      assertThat(early.at("/error/class").asText()).isEqualTo("CommandNotFound");
      assertThat(early.get("id").asInt()).isEqualTo(1);
      assertThat(qmp.raw("{\"execute\":\"qmp_capabilities\",\"id\":\"c\"}").toString())
          .isEqualTo("{\"return\":{},\"id\":\"c\"}");
      assertThat(qmp.execute("qmp_capabilities", null).at("/error/class").asText())
          .isEqualTo("CommandNotFound");

      JsonNode status = qmp.ok("query-status");
      assertThat(status.get("status").asText()).isEqualTo("running");
      assertThat(status.get("running").asBoolean()).isTrue();

      qmp.ok("stop");
      assertThat(qmp.takeEvent("STOP").get("timestamp").has("microseconds")).isTrue();
      assertThat(qmp.ok("query-status").get("running").asBoolean()).isFalse();
      assertThat(qmp.status()).isEqualTo("paused");
      qmp.ok("stop"); // already paused: no second event
      qmp.ok("cont");
      qmp.takeEvent("RESUME");
      assertThat(qmp.status()).isEqualTo("running");
      assertThat(qmp.eventNames()).isEmpty();

      JsonNode unknown = qmp.raw("{\"execute\":\"frobnicate\",\"id\":{\"n\":7}}");
      assertThat(unknown.at("/error/class").asText()).isEqualTo("CommandNotFound");
      assertThat(unknown.at("/error/desc").asText()).contains("frobnicate");
      assertThat(unknown.at("/id/n").asInt()).isEqualTo(7);
      assertThat(qmp.raw("{not json").at("/error/class").asText()).isEqualTo("GenericError");
      assertThat(
              qmp.execute("migrate-incoming", "{\"uri\":\"exec:cat /dev/null\"}")
                  .at("/error/desc")
                  .asText())
          .contains("-incoming");
      assertThat(
              qmp.execute("migrate", "{\"uri\":\"tcp:127.0.0.1:1\"}").at("/error/class").asText())
          .isEqualTo("GenericError");

      qmp.ok("quit");
      assertThat(qmp.takeEvent("SHUTDOWN").at("/data/reason").asText()).isEqualTo("host-qmp-quit");
      assertThat(guest.awaitExit(Duration.ofSeconds(20))).isZero();
    }
  }

  @Test
  void migratesToExecAndUnixAndReportsFailure() throws Exception {
    Path image = dir.resolve("q2.img");
    try (SimGuestProcess guest = SimGuestProcess.start(idle("q2"), dir.resolve("q2.log"));
        QmpTestClient qmp = QmpTestClient.ready(guest.options().qmpSocket())) {
      qmp.ok(
          "migrate-set-capabilities",
          "{\"capabilities\":[{\"capability\":\"events\",\"state\":true}]}");
      qmp.ok("migrate-set-parameters", "{\"max-bandwidth\":1099511627776}");
      assertThat(qmp.ok("query-migrate").size()).isZero();

      // A running guest: migrate stops it (STOP), completes, leaves it in postmigrate.
      qmp.ok("migrate", "{\"uri\":\"exec:cat > " + image + "\"}");
      JsonNode done = qmp.awaitMigration(s -> s.equals("completed") || s.equals("failed"));
      assertThat(done.get("status").asText()).isEqualTo("completed");
      assertThat(done.at("/ram/total").asLong()).isEqualTo(Files.size(image));
      assertThat(done.at("/ram/remaining").asLong()).isZero();
      qmp.takeEvent("STOP");
      assertThat(qmp.takeEvent("MIGRATION").at("/data/status").asText()).isEqualTo("setup");
      assertThat(qmp.takeEvent("MIGRATION").at("/data/status").asText()).isEqualTo("active");
      assertThat(qmp.takeEvent("MIGRATION").at("/data/status").asText()).isEqualTo("completed");
      assertThat(qmp.status()).isEqualTo("postmigrate");
      SimImage saved = SimImage.read(image);
      assertThat(saved.runState()).isEqualTo("running");
      assertThat(saved.identity()).containsEntry("name", "q2").containsEntry("workload", "idle");

      // Paused, to a Unix socket the test reads, as an agent would.
      qmp.ok("cont");
      qmp.ok("stop");
      Path sock = dir.resolve("q2.mig");
      CompletableFuture<byte[]> received;
      try (ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
        listener.bind(UnixDomainSocketAddress.of(sock));
        received = CompletableFuture.supplyAsync(() -> readAll(listener));
        qmp.ok("migrate", "{\"uri\":\"unix:" + sock + "\"}");
        assertThat(
                qmp.awaitMigration(s -> !s.equals("setup") && !s.equals("active"))
                    .get("status")
                    .asText())
            .isEqualTo("completed");
        assertThat(SimImage.read(received.get()).runState()).isEqualTo("paused");
      }

      // A failing exec command: migration failed, the guest stays as it was (paused).
      qmp.ok("migrate", "{\"uri\":\"exec:exit 3\"}");
      JsonNode failed = qmp.awaitMigration(s -> s.equals("completed") || s.equals("failed"));
      assertThat(failed.get("status").asText()).isEqualTo("failed");
      assertThat(failed.get("error-desc").asText()).contains("status 3");
      assertThat(qmp.status()).isEqualTo("postmigrate");
    }
  }

  private static byte[] readAll(ServerSocketChannel listener) {
    try (SocketChannel c = listener.accept()) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteBuffer buffer = ByteBuffer.allocate(8192);
      while (c.read(buffer) >= 0) {
        out.write(buffer.array(), 0, buffer.position());
        buffer.clear();
      }
      return out.toByteArray();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
