package org.vccp.qemu.qmp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The QMP client against a scripted server: framing, matching by id, errors, timeouts, loss. */
class QmpClientTest {

  private static final Duration WAIT = Duration.ofSeconds(10);

  @TempDir Path dir;

  private FakeQmpServer server;
  private QmpClient client;

  @BeforeEach
  void connect() throws Exception {
    Path socket = dir.resolve("fake.qmp");
    server = new FakeQmpServer(socket);
    CompletableFuture<QmpClient> connecting = QmpClient.connectAsync(socket, "guest fake", WAIT);
    server.acceptAndGreet();
    server.completeHandshake();
    client = connecting.get(10, TimeUnit.SECONDS);
  }

  @AfterEach
  void close() throws Exception {
    client.close();
    server.close();
  }

  @Test
  void readsTheGreetingSplitAcrossWrites() {
    assertThat(client.isConnected()).isTrue();
    assertThat(client.qemuVersion()).isEqualTo("7.2.19");
    assertThat(client.greeting().path("capabilities").get(0).asText()).isEqualTo("oob");
  }

  @Test
  void matchesAnswersByIdWhenSeveralArriveInOneWriteWithEventsBetween() throws Exception {
    List<QmpEvent> events = new CopyOnWriteArrayList<>();
    client.addEventListener(events::add);
    CompletableFuture<QmpEvent> stopEvent = client.nextEvent(QmpEvent.STOP);
    CompletableFuture<QmpEvent> filterEvent =
        client.nextEvent(e -> e.data().path("name").asText().equals("n0"));
    CompletableFuture<JsonNode> status = client.execute("query-status");
    CompletableFuture<JsonNode> name = client.execute("query-name");
    long statusId = server.readCommand().get("id").asLong();
    JsonNode second = server.readCommand();
    assertThat(second.path("execute").asText()).isEqualTo("query-name");

    // answers in reverse order, an event between them, and a message split mid-word
    server.send(
        FakeQmpServer.reply(second.get("id").asLong(), "{\"name\": \"g1\"}")
            + FakeQmpServer.event("STOP", null)
            + FakeQmpServer.reply(statusId, "{\"status\": \"paused\", \"running\": false}")
            + "{\"event\": \"NIC_RX_");
    server.send(
        "FILTER_CHANGED\", \"data\": {\"name\": \"n0\"}, \"timestamp\":"
            + " {\"seconds\": 1, \"microseconds\": 2}}\r\n");

    assertThat(status.get(10, TimeUnit.SECONDS).path("status").asText()).isEqualTo("paused");
    assertThat(name.get(10, TimeUnit.SECONDS).path("name").asText()).isEqualTo("g1");
    QmpEvent stop = stopEvent.get(10, TimeUnit.SECONDS);
    assertThat(stop.timestampMicros()).isEqualTo(1_700_000_000_000_250L);
    assertThat(stop.data().isMissingNode()).isTrue();
    QmpEvent filter = client.awaitEvent(filterEvent, "NIC_RX_FILTER_CHANGED", WAIT);
    assertThat(filter.name()).isEqualTo(QmpEvent.NIC_RX_FILTER_CHANGED);
    assertThat(filter.timestampMicros()).isEqualTo(1_000_002L);
    assertThat(events).extracting(QmpEvent::name).containsExactly("STOP", "NIC_RX_FILTER_CHANGED");
    assertThat(client.discardedMessages()).isZero();
  }

  @Test
  void aQemuErrorCarriesItsClassAndDescription() throws Exception {
    CompletableFuture<JsonNode> answer = client.execute("no-such-command");
    long id = server.readCommand().get("id").asLong();
    server.send(
        FakeQmpServer.error(
            id, "CommandNotFound", "The command no-such-command has not been found"));

    assertThatThrownBy(() -> answer.get(10, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .cause()
        .isInstanceOf(QmpException.class)
        .hasMessage(
            "guest fake: QMP no-such-command failed: CommandNotFound: The command no-such-command"
                + " has not been found")
        .satisfies(
            e -> {
              QmpException qmp = (QmpException) e;
              assertThat(qmp.errorClass()).isEqualTo("CommandNotFound");
              assertThat(qmp.desc()).isEqualTo("The command no-such-command has not been found");
              assertThat(qmp.command()).isEqualTo("no-such-command");
              assertThat(qmp.isQemuError()).isTrue();
            });
  }

  @Test
  void aCommandTimesOutAloneAndItsLateAnswerIsIgnored() throws Exception {
    long start = System.nanoTime();
    CompletableFuture<JsonNode> slow = client.execute("query-status", null, Duration.ofMillis(200));
    long slowId = server.readCommand().get("id").asLong();

    assertThatThrownBy(() -> slow.get(10, TimeUnit.SECONDS))
        .cause()
        .isInstanceOf(QmpTimeoutException.class)
        .hasMessageContaining("guest fake: QMP query-status got no answer within 0.200 s");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofMillis(200), WAIT);

    server.send(FakeQmpServer.reply(slowId, "{\"status\": \"running\"}"));
    CompletableFuture<JsonNode> next = client.execute("query-name");
    long nextId = server.readCommand().get("id").asLong();
    server.send(FakeQmpServer.reply(nextId, "{\"name\": \"after\"}"));

    assertThat(next.get(10, TimeUnit.SECONDS).path("name").asText()).isEqualTo("after");
    assertThat(client.discardedMessages()).isEqualTo(1);
    assertThat(client.isConnected()).isTrue();
  }

  @Test
  void aLostConnectionFailsEveryPendingCommandAndEventWaitAtOnce() throws Exception {
    List<CompletableFuture<JsonNode>> pending =
        List.of(client.execute("stop"), client.execute("query-status"), client.execute("cont"));
    CompletableFuture<QmpEvent> event = client.nextEvent(QmpEvent.RESUME);
    for (int i = 0; i < pending.size(); i++) {
      server.readCommand();
    }
    long start = System.nanoTime();

    server.dropClient();

    for (CompletableFuture<JsonNode> answer : pending) {
      assertThatThrownBy(() -> answer.get(10, TimeUnit.SECONDS))
          .cause()
          .isInstanceOf(QmpConnectionException.class)
          .hasMessageContaining("guest fake: QMP connection lost while waiting for the answer to")
          .hasMessageContaining("QEMU exited, was killed or closed its monitor");
    }
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
    assertThatThrownBy(() -> event.get(10, TimeUnit.SECONDS))
        .cause()
        .isInstanceOf(QmpConnectionException.class);
    assertThat(client.closeFuture()).isDone();
    assertThat(client.isConnected()).isFalse();
    assertThatThrownBy(client::queryStatus)
        .isInstanceOf(QmpConnectionException.class)
        .hasMessageContaining("query-status");
  }

  @Test
  void blockingOnTheIoThreadIsRefusedInsteadOfDeadlocking() throws Exception {
    CompletableFuture<String> chained =
        client.execute("query-name").thenApply(answer -> client.queryStatus());
    long id = server.readCommand().get("id").asLong();
    server.send(FakeQmpServer.reply(id, "{}"));

    assertThatThrownBy(() -> chained.get(10, TimeUnit.SECONDS))
        .cause()
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("would deadlock");
  }

  @Test
  void listenersMayCallBlockingHelpers() throws Exception {
    CompletableFuture<String> seen = new CompletableFuture<>();
    client.addEventListener(
        event -> {
          if (event.is(QmpEvent.STOP)) {
            seen.complete(client.queryStatus());
          }
        });
    server.send(FakeQmpServer.event("STOP", null));
    long id = server.readCommand().get("id").asLong();
    server.send(FakeQmpServer.reply(id, "{\"status\": \"paused\"}"));

    assertThat(seen.get(10, TimeUnit.SECONDS)).isEqualTo("paused");
  }

  @Test
  void aMissingSocketIsAConnectionErrorNamingThePath() {
    Path nowhere = dir.resolve("nobody.qmp");
    assertThatThrownBy(() -> QmpClient.connect(nowhere, "guest gone", WAIT))
        .isInstanceOf(QmpConnectionException.class)
        .hasMessageContaining("guest gone: cannot connect to QMP socket " + nowhere);
  }
}
