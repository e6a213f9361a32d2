package org.vccp.qemu.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A deliberately tiny QMP client for tests of the sim-guest: raw JSON lines, answers and events
 * sorted by a reader thread, no cleverness, so it checks the wire format rather than trusting a
 * shared client.
 */
final class QmpTestClient implements AutoCloseable {
  static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(20);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final SocketChannel channel;
  private final BlockingQueue<JsonNode> answers = new LinkedBlockingQueue<>();
  private final List<JsonNode> events = new ArrayList<>();
  private final JsonNode greeting;

  private QmpTestClient(SocketChannel channel) throws IOException, InterruptedException {
    this.channel = channel;
    BufferedReader in =
        new BufferedReader(
            new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
    Thread reader =
        new Thread(
            () -> {
              try {
                String line;
                while ((line = in.readLine()) != null) {
                  JsonNode message = JSON.readTree(line);
                  if (message.has("event")) {
                    synchronized (events) {
                      events.add(message);
                      events.notifyAll();
                    }
                  } else {
                    answers.add(message);
                  }
                }
              } catch (IOException e) {
                // connection closed
              }
            },
            "qmp-test-reader");
    reader.setDaemon(true);
    reader.start();
    greeting = answers.poll(ANSWER_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    if (greeting == null) {
      throw new IOException("no QMP greeting");
    }
  }

  /** Connects, retrying while the socket is not yet accepting, up to {@code timeout}. */
  static QmpTestClient connect(Path socket, Duration timeout)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
      try {
        channel.connect(UnixDomainSocketAddress.of(socket));
        return new QmpTestClient(channel);
      } catch (IOException e) {
        channel.close();
        if (System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(20);
      }
    }
  }

  /** Connects and negotiates capabilities. */
  static QmpTestClient ready(Path socket) throws IOException, InterruptedException {
    QmpTestClient client = connect(socket, Duration.ofSeconds(30));
    client.ok("qmp_capabilities");
    return client;
  }

  JsonNode greeting() {
    return greeting;
  }

  /** Sends one raw line and returns the next answer. */
  JsonNode raw(String line) throws IOException, InterruptedException {
    ByteBuffer bytes = ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8));
    while (bytes.hasRemaining()) {
      channel.write(bytes);
    }
    JsonNode answer = answers.poll(ANSWER_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    if (answer == null) {
      throw new IOException("no answer to " + line);
    }
    return answer;
  }

  JsonNode execute(String command, String argumentsJson) throws IOException, InterruptedException {
    String args = argumentsJson == null ? "" : ",\"arguments\":" + argumentsJson;
    return raw("{\"execute\":\"" + command + "\"" + args + "}");
  }

  /** The {@code return} of a command that must succeed. */
  JsonNode ok(String command, String argumentsJson) throws IOException, InterruptedException {
    JsonNode answer = execute(command, argumentsJson);
    if (!answer.has("return")) {
      throw new AssertionError(command + " failed: " + answer);
    }
    return answer.get("return");
  }

  JsonNode ok(String command) throws IOException, InterruptedException {
    return ok(command, null);
  }

  String status() throws IOException, InterruptedException {
    return ok("query-status").get("status").asText();
  }

  /** Polls query-migrate until its status is one of {@code statuses}; returns the last answer. */
  JsonNode awaitMigration(Predicate<String> done) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + ANSWER_TIMEOUT.toNanos();
    while (true) {
      JsonNode info = ok("query-migrate");
      if (done.test(info.path("status").asText())) {
        return info;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("migration still " + info);
      }
      Thread.sleep(10);
    }
  }

  /** Polls query-status until it is {@code status}. */
  void awaitStatus(String status) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + ANSWER_TIMEOUT.toNanos();
    while (!status().equals(status)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("status is still " + status() + ", not " + status);
      }
      Thread.sleep(10);
    }
  }

  /** The first event named {@code name} not yet taken, waiting up to the answer timeout. */
  JsonNode takeEvent(String name) throws InterruptedException {
    long deadline = System.nanoTime() + ANSWER_TIMEOUT.toNanos();
    synchronized (events) {
      while (true) {
        for (int i = 0; i < events.size(); i++) {
          if (events.get(i).path("event").asText().equals(name)) {
            return events.remove(i);
          }
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new AssertionError("no " + name + " event; have " + events);
        }
        events.wait(Math.max(1, left / 1_000_000));
      }
    }
  }

  List<String> eventNames() {
    synchronized (events) {
      return events.stream().map(e -> e.path("event").asText()).toList();
    }
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
