package org.vccp.checkpoint.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.vccp.checkpoint.store.CheckpointStore;

/**
 * Every {@link ProtocolTest} again with the coordinator reaching its agent over TCP ({@link
 * AgentServer} and {@link RemoteAgent} on loopback), plus what only the network adds: the token, a
 * coordinator killed mid-epoch (in its own JVM), one that reconnects, and an agent that goes away
 * during snapshot.
 */
class RemoteAgentTest extends ProtocolTest {
  private static final AgentToken TOKEN = new AgentToken("s3cret-for-tests");
  private static final ProtocolSettings SHORT_SILENCE =
      new ProtocolSettings(
          Duration.ofMillis(500),
          Duration.ofSeconds(5),
          Duration.ofSeconds(30),
          Duration.ofMillis(2000),
          Duration.ofMillis(20));

  private AgentServer server;
  private RemoteAgent remote;

  @Override
  AgentLink link() {
    if (remote == null) {
      server = AgentServer.start(agent, new InetSocketAddress("127.0.0.1", 0), TOKEN);
      remote = remote(TOKEN);
    }
    return remote;
  }

  private RemoteAgent remote(AgentToken token) {
    return new RemoteAgent(
        "127.0.0.1", server.address().getPort(), token, RemoteAgent.Timeouts.of(FAST));
  }

  @AfterEach
  void closeNetwork() {
    if (remote != null) {
      remote.close();
    }
    if (server != null) {
      server.close();
    }
  }

  @Test
  void aWrongOrMissingTokenGetsOneErrorAndTheConnectionIsClosed() throws Exception {
    startGuests();
    link();
    try (RemoteAgent wrong = remote(new AgentToken("guess"))) {
      assertThatThrownBy(() -> wrong.prepare(1, false))
          .isInstanceOf(CheckpointException.class)
          .hasMessageContaining("agent 127.0.0.1:" + server.address().getPort())
          .hasMessageContaining("refused")
          .hasMessageContaining("wrong token");
    }
    assertThat(
            exchangeRaw("{\"v\":1,\"id\":7,\"op\":\"hello\"}").path("error").path("kind").asText())
        .isEqualTo("auth");
    JsonNode beforeHello =
        exchangeRaw(
            "{\"v\":1,\"id\":8,\"op\":\"prepare\",\"epoch\":1,\"token\":\"s3cret-for-tests\"}");
    assertThat(beforeHello.path("id").asLong()).isEqualTo(8);
    assertThat(beforeHello.path("error").path("message").asText()).contains("must be hello");
    assertThat(agent.idle()).isTrue();
    assertThat(guests).noneMatch(SocketGuest::isPaused);
    remote.connect();
  }

  /** Sends one frame on a fresh connection; returns the one reply and checks the agent hangs up. */
  private JsonNode exchangeRaw(String json) throws Exception {
    try (Socket s = new Socket("127.0.0.1", server.address().getPort())) {
      s.setSoTimeout(10_000);
      byte[] body = json.getBytes(StandardCharsets.UTF_8);
      DataOutputStream out = new DataOutputStream(s.getOutputStream());
      out.writeInt(body.length);
      out.write(body);
      out.flush();
      DataInputStream in = new DataInputStream(s.getInputStream());
      byte[] reply = new byte[in.readInt()];
      in.readFully(reply);
      assertThatThrownBy(in::readInt)
          .as("connection closed after the refusal")
          .isInstanceOf(EOFException.class);
      return AgentWire.JSON.readTree(reply);
    }
  }

  @Test
  void aCoordinatorThatReconnectsCanStillFinishItsEpoch() throws Exception {
    startGuests();
    link().prepare(1, false);
    assertThat(guests).allMatch(SocketGuest::isPaused);
    remote.close();
    remote = remote(TOKEN);
    Path epochDir = Files.createDirectories(dir.resolve("epoch1"));
    assertThat(remote.snapshot(1, epochDir).guests()).hasSize(2);
    assertThat(remote.resume(1).host()).isEqualTo("local");
    assertNothingPausedOrHeld();
  }

  @Test
  void aCoordinatorKilledMidEpochLeavesTheAgentToResumeEveryGuestByItself() throws Exception {
    startGuests(SHORT_SILENCE);
    coordinator().checkpoint();
    Path tokenFile = dir.resolve("token");
    Files.writeString(tokenFile, "s3cret-for-tests\n");
    Process child =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                PrepareThenWait.class.getName(),
                "127.0.0.1",
                String.valueOf(server.address().getPort()),
                tokenFile.toString(),
                store.root().toString())
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    try {
      BufferedReader out =
          new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
      assertThat(out.readLine()).isEqualTo("prepared 2");
      assertThat(guests).as("paused by the child's prepare").allMatch(SocketGuest::isPaused);
    } finally {
      child.destroyForcibly();
      assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }
    long killedAt = System.nanoTime();
    long deadline = killedAt + SHORT_SILENCE.coordinatorSilence().plusSeconds(10).toNanos();
    while (!agent.idle()) {
      assertThat(System.nanoTime()).as("agent resumes on its own").isLessThan(deadline);
      Thread.sleep(10);
    }
    assertNothingPausedOrHeld();
    assertThat(progress).anyMatch(l -> l.contains("epoch 2: abandoned (coordinator silent)"));
    assertThat(store.list())
        .extracting(CheckpointStore.Committed::name)
        .containsExactly("ckpt-000001");
    CheckpointStore.verify(store.open("1"));

    assertThatThrownBy(() -> remote.resume(2))
        .isInstanceOf(CheckpointException.class)
        .hasMessageContaining("epoch 2 was abandoned on host local (coordinator silent)");
    awaitReceived(guests.get(0).received().size() + 50);
    assertThat(coordinator().checkpoint().epoch()).isEqualTo(3);
    assertNothingPausedOrHeld();
  }

  @Test
  void anAgentThatGoesAwayDuringSnapshotFailsTheEpochWithItsAddress() throws Exception {
    startGuests(SHORT_SILENCE);
    coordinator().checkpoint();
    guests.get(0).beforeSave = server::close;
    String address = "agent 127.0.0.1:" + server.address().getPort();
    assertThatThrownBy(() -> coordinator().checkpoint())
        .isInstanceOf(CheckpointException.class)
        .hasMessageContaining("snapshot")
        .hasMessageContaining("lost the connection to " + address + " during snapshot of epoch 2");
    assertThat(store.list()).hasSize(1);
    assertThat(Files.exists(store.root().resolve("ckpt-000002.partial"))).isFalse();
    CheckpointStore.verify(store.open("1"));
    long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    while (!agent.idle()) {
      assertThat(System.nanoTime()).as("agent resumes on its own").isLessThan(deadline);
      Thread.sleep(10);
    }
    assertNothingPausedOrHeld();
  }
}
