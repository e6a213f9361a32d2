package org.vccp.qemu.qmp;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The protocol state of one QMP connection, on its event loop: it takes whole lines from a {@code
 * LineBasedFrameDecoder}, parses each as one JSON message, and sorts it into the greeting, an
 * answer (matched to its command by {@code id}) or an event. Commands wait in {@link #pending},
 * touched only on the event loop, until their answer, their timeout or the end of the connection
 * completes them; whichever comes first wins and the others find nothing to do.
 */
final class QmpSession extends ChannelInboundHandlerAdapter {

  private static final Logger LOG = LoggerFactory.getLogger(QmpSession.class);

  private final String label;
  private final ObjectMapper json;
  private final Consumer<QmpEvent> events;
  private final CompletableFuture<JsonNode> greeting = new CompletableFuture<>();
  private final CompletableFuture<Void> closed = new CompletableFuture<>();
  private final AtomicLong nextId = new AtomicLong(1);
  private final AtomicLong discardedMessages = new AtomicLong();
  private final Map<Long, Pending> pending = new LinkedHashMap<>();
  private volatile Channel channel;
  private boolean inactive;
  private boolean closedByClient;

  private record Pending(
      long id, String command, CompletableFuture<JsonNode> answer, Future<?> timeout) {}

  QmpSession(String label, ObjectMapper json, Consumer<QmpEvent> events) {
    this.label = label;
    this.json = json;
    this.events = events;
  }

  /** QEMU's greeting, the {@code QMP} member: {@code {"version": ..., "capabilities": [...]}}. */
  CompletableFuture<JsonNode> greeting() {
    return greeting;
  }

  /** Completes when the connection has ended and every pending command has failed. */
  CompletableFuture<Void> closed() {
    return closed;
  }

  /** Answers nobody waited for any more (timed out) and lines that were not JSON. */
  long discardedMessages() {
    return discardedMessages.get();
  }

  boolean isOpen() {
    Channel ch = channel;
    return ch != null && ch.isActive() && !closed.isDone();
  }

  /**
   * Sends {@code command}; the future completes with its {@code return} member, or fails with a
   * {@link QmpException} (QEMU's error), a {@link QmpTimeoutException} or a {@link
   * QmpConnectionException}. Completed on the I/O thread.
   */
  CompletableFuture<JsonNode> send(String command, JsonNode arguments, Duration timeout) {
    CompletableFuture<JsonNode> answer = new CompletableFuture<>();
    long id = nextId.getAndIncrement();
    ObjectNode message = json.createObjectNode().put("execute", command);
    if (arguments != null && !arguments.isMissingNode() && !arguments.isNull()) {
      message.set("arguments", arguments);
    }
    message.put("id", id);
    byte[] line;
    try {
      line = (json.writeValueAsString(message) + "\n").getBytes(StandardCharsets.UTF_8);
    } catch (JsonProcessingException e) {
      answer.completeExceptionally(e);
      return answer;
    }
    Channel ch = channel;
    EventLoop loop = ch.eventLoop();
    loop.execute(
        () -> {
          if (inactive) {
            answer.completeExceptionally(connectionEnded(command, id));
            return;
          }
          Future<?> timer =
              loop.schedule(() -> timeOut(id, timeout), timeout.toNanos(), TimeUnit.NANOSECONDS);
          pending.put(id, new Pending(id, command, answer, timer));
          ch.writeAndFlush(Unpooled.wrappedBuffer(line))
              .addListener(
                  written -> {
                    if (!written.isSuccess()) {
                      Pending p = pending.remove(id);
                      if (p != null) {
                        p.timeout().cancel(false);
                        p.answer()
                            .completeExceptionally(
                                new QmpConnectionException(
                                    command,
                                    label + ": cannot send QMP " + command + ": " + written.cause(),
                                    written.cause()));
                      }
                    }
                  });
        });
    return answer;
  }

  /** Closes the connection on the client's behalf; pending commands fail saying so. */
  void close() {
    Channel ch = channel;
    if (ch == null) {
      closed.complete(null);
      return;
    }
    ch.eventLoop()
        .execute(
            () -> {
              closedByClient = true;
              ch.close();
            });
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    channel = ctx.channel();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    long receivedNanos = System.nanoTime();
    JsonNode message;
    try {
      ByteBuf line = (ByteBuf) msg;
      if (!line.isReadable()) {
        return;
      }
      message = json.readTree((InputStream) new ByteBufInputStream(line)); // also a DataInput
    } catch (IOException e) {
      discardedMessages.incrementAndGet();
      LOG.warn("{}: QMP sent a line that is not JSON ({}); ignored", label, e.getMessage());
      return;
    } finally {
      ReferenceCountUtil.release(msg);
    }
    dispatch(message, receivedNanos);
  }

  private void dispatch(JsonNode message, long receivedNanos) {
    if (message.has("return") || message.has("error")) {
      answer(message);
    } else if (message.has("event")) {
      events.accept(QmpEvent.of(message, receivedNanos));
    } else if (message.has("QMP")) {
      greeting.complete(message.get("QMP"));
    } else {
      discardedMessages.incrementAndGet();
      LOG.warn("{}: QMP sent a message of unknown shape; ignored: {}", label, message);
    }
  }

  private void answer(JsonNode message) {
    JsonNode idNode = message.get("id");
    Pending p =
        idNode != null && idNode.canConvertToLong() ? pending.remove(idNode.asLong()) : null;
    if (p == null) {
      discardedMessages.incrementAndGet();
      LOG.debug("{}: QMP answer for no waiting command (timed out?); ignored: {}", label, message);
      return;
    }
    p.timeout().cancel(false);
    if (message.has("error")) {
      JsonNode error = message.get("error");
      p.answer()
          .completeExceptionally(
              new QmpException(
                  label, p.command(), error.path("class").asText(), error.path("desc").asText()));
    } else {
      p.answer().complete(message.get("return"));
    }
  }

  private void timeOut(long id, Duration timeout) {
    Pending p = pending.remove(id);
    if (p != null) {
      p.answer()
          .completeExceptionally(
              new QmpTimeoutException(
                  p.command(),
                  label
                      + ": QMP "
                      + p.command()
                      + " got no answer within "
                      + seconds(timeout)
                      + "; QEMU may be stopped or overloaded (its late answer will be ignored)"));
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    inactive = true;
    List<Pending> failed = new ArrayList<>(pending.values());
    pending.clear();
    for (Pending p : failed) {
      p.timeout().cancel(false);
      p.answer().completeExceptionally(connectionEnded(p.command(), p.id()));
    }
    greeting.completeExceptionally(connectionEnded("greeting", 0));
    if (!failed.isEmpty()) {
      LOG.debug("{}: QMP connection ended; failed {} pending command(s)", label, failed.size());
    }
    closed.complete(null);
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof TooLongFrameException) {
      discardedMessages.incrementAndGet();
      LOG.warn("{}: QMP sent a line too long to read ({}); ignored", label, cause.getMessage());
      return;
    }
    LOG.debug("{}: QMP connection error, closing: {}", label, cause.toString());
    ctx.close();
  }

  private QmpConnectionException connectionEnded(String command, long id) {
    String what =
        id == 0 ? "the QMP greeting" : "the answer to QMP " + command + " (id " + id + ")";
    return new QmpConnectionException(
        command,
        closedByClient
            ? label + ": QMP connection closed by this client before " + what
            : label
                + ": QMP connection lost while waiting for "
                + what
                + "; QEMU exited, was killed or closed its monitor",
        null);
  }

  static String seconds(Duration duration) {
    return String.format(Locale.ROOT, "%.3f s", duration.toNanos() / 1e9);
  }
}
