package org.vccp.checkpoint.protocol;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An agent on another host, reached over TCP ({@link AgentServer}; docs/control-protocol.md, "Agent
 * protocol"). Each call is one request with the shared token and a deadline; the agent's {@link
 * CheckpointException} comes back with the same guest, phase, what and hint. A lost connection or a
 * missed deadline fails the call with an error naming the agent's address, and the next call
 * connects again. {@link #abort} and {@link #mark} never throw.
 */
public final class RemoteAgent implements AgentLink, RestoreTarget {
  private static final Logger LOG = LoggerFactory.getLogger(RemoteAgent.class);
  private static final String LOST_HINT =
      "if the agent's host is up, the agent resumes its guests on its own after its"
          + " coordinator-silence timeout; check the agent's log";

  /**
   * Deadlines of the calls.
   *
   * @param connect TCP connect plus hello
   * @param prepare a prepare (hold, drain, stop, quiet every guest of the host)
   * @param snapshot a snapshot (every guest's image, channel and switch state)
   * @param control resume, abort and mark
   */
  public record Timeouts(Duration connect, Duration prepare, Duration snapshot, Duration control) {
    /** Deadlines that cover what an agent with these settings may take, with margin. */
    public static Timeouts of(ProtocolSettings s) {
      return new Timeouts(
          Duration.ofSeconds(5),
          s.drain().multipliedBy(4).plus(s.qmp().multipliedBy(2)),
          s.save().plus(s.qmp()),
          s.qmp().multipliedBy(2));
    }
  }

  private final String address;
  private final InetSocketAddress socket;
  private final AgentToken token;
  private final Timeouts timeouts;
  private final EventLoopGroup loop = AgentWire.eventLoop("vccp-coordinator-net");
  private final AtomicLong ids = new AtomicLong();
  private Connection connection;

  /** Does not connect yet: the first call does (see {@link #connect()}). */
  public RemoteAgent(String host, int port, AgentToken token, Timeouts timeouts) {
    this.address = host + ":" + port;
    this.socket = InetSocketAddress.createUnresolved(host, port);
    this.token = token;
    this.timeouts = timeouts;
  }

  /** The agent's address, {@code host:port}. */
  @Override
  public String host() {
    return address;
  }

  /** Connects and says hello now, so a wrong address or token shows before the first epoch. */
  public void connect() throws CheckpointException {
    connection("connect");
  }

  @Override
  public Prepared prepare(long epoch, boolean naive) throws CheckpointException {
    ObjectNode req = request(AgentWire.PREPARE, epoch).put("naive", naive);
    return as(call(req, "prepare", epoch, timeouts.prepare()), Prepared.class, "prepare");
  }

  @Override
  public long flushLinks(long epoch) throws CheckpointException {
    return as(
        call(request(AgentWire.FLUSH, epoch), "prepare", epoch, timeouts.prepare()),
        Long.class,
        "prepare");
  }

  @Override
  public Snapshotted snapshot(long epoch, Path dir) throws CheckpointException {
    ObjectNode req = request(AgentWire.SNAPSHOT, epoch).put("dir", dir.toString());
    return as(call(req, "snapshot", epoch, timeouts.snapshot()), Snapshotted.class, "snapshot");
  }

  @Override
  public Resumed resume(long epoch) throws CheckpointException {
    ObjectNode req = request(AgentWire.RESUME, epoch);
    return as(call(req, "resume", epoch, timeouts.control()), Resumed.class, "resume");
  }

  /** {@link RestoreTarget#restoreLoad} on the agent's host ({@code dir} is a path there). */
  @Override
  public List<String> restoreLoad(Path dir) throws CheckpointException {
    JsonNode r =
        call(
            request(AgentWire.RESTORE_LOAD, -1).put("dir", dir.toString()),
            "restore",
            -1,
            timeouts.snapshot());
    List<String> names = new java.util.ArrayList<>();
    r.forEach(n -> names.add(n.asText()));
    return names;
  }

  /** {@link RestoreTarget#restoreFence} on the agent's host. */
  @Override
  public long restoreFence() throws CheckpointException {
    return call(request(AgentWire.RESTORE_FENCE, -1), "restore", -1, timeouts.prepare()).asLong();
  }

  /** {@link RestoreTarget#restoreSettle} on the agent's host. */
  @Override
  public void restoreSettle() throws CheckpointException {
    call(request(AgentWire.RESTORE_SETTLE, -1), "restore", -1, timeouts.control());
  }

  /** {@link RestoreTarget#restoreGo} on the agent's host; returns the frames replayed. */
  @Override
  public long restoreGo() throws CheckpointException {
    return call(request(AgentWire.RESTORE_GO, -1), "restore", -1, timeouts.prepare()).asLong();
  }

  /** {@link RestoreTarget#restoreAbandon} on the agent's host; never throws. */
  @Override
  public void restoreAbandon() {
    try {
      call(request(AgentWire.RESTORE_ABANDON, -1), "restore", -1, timeouts.control());
    } catch (CheckpointException e) {
      LOG.warn("cannot abandon the restore on agent {}: {}", address, e.getMessage());
    }
  }

  @Override
  public void abort(long epoch, String reason) {
    try {
      call(
          request(AgentWire.ABORT, epoch).put("reason", reason),
          "abort",
          epoch,
          timeouts.control());
    } catch (CheckpointException e) {
      LOG.warn("epoch {}: cannot abort on agent {}: {}", epoch, address, e.getMessage());
    }
  }

  @Override
  public void mark(String text) {
    try {
      call(request(AgentWire.MARK, -1).put("text", text), "mark", -1, timeouts.control());
    } catch (CheckpointException e) {
      LOG.warn("cannot write mark '{}' on agent {}: {}", text, address, e.getMessage());
    }
  }

  private ObjectNode request(String op, long epoch) {
    ObjectNode r = AgentWire.request(ids.incrementAndGet(), op, token);
    if (epoch > 0) {
      r.put("epoch", epoch);
    }
    return r;
  }

  private <T> T as(JsonNode result, Class<T> type, String phase) throws CheckpointException {
    try {
      return AgentWire.JSON.treeToValue(result, type);
    } catch (JsonProcessingException e) {
      throw new CheckpointException(
          null,
          phase,
          "agent " + address + " sent an unreadable " + type.getSimpleName() + ": " + e,
          "use the same VCCP version on coordinator and agents",
          e);
    }
  }

  /** Sends one request and returns its result, or throws what the agent or the network did. */
  private JsonNode call(ObjectNode req, String phase, long epoch, Duration timeout)
      throws CheckpointException {
    Connection c = connection(phase);
    JsonNode reply = c.exchange(req, phase, epoch, timeout);
    if (reply.path("ok").asBoolean()) {
      return reply.path("result");
    }
    JsonNode err = reply.path("error");
    if (AgentWire.CHECKPOINT.equals(err.path("kind").asText())) {
      throw AgentWire.checkpointException(err);
    }
    throw new CheckpointException(
        null,
        phase,
        "agent " + address + " refused " + req.path("op").asText() + ": " + err.path("message"),
        AgentWire.AUTH.equals(err.path("kind").asText())
            ? "give the coordinator the agent's token (agent.token_file)"
            : null,
        null);
  }

  private synchronized Connection connection(String phase) throws CheckpointException {
    if (connection != null && connection.channel.isActive()) {
      return connection;
    }
    Connection c = new Connection();
    ChannelFuture f =
        new Bootstrap()
            .group(loop)
            .channel(EpollSocketChannel.class)
            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) timeouts.connect().toMillis())
            .option(ChannelOption.TCP_NODELAY, true)
            .handler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    AgentWire.framing(ch.pipeline());
                    ch.pipeline().addLast(c);
                  }
                })
            .connect(new InetSocketAddress(socket.getHostString(), socket.getPort()));
    if (!f.awaitUninterruptibly(timeouts.connect().toMillis() + 1000) || !f.isSuccess()) {
      f.channel().close();
      throw new CheckpointException(
          null,
          phase,
          "cannot reach agent "
              + address
              + ": "
              + (f.cause() != null ? f.cause().getMessage() : "connect timed out"),
          "check that the agent runs there (agent.listen in its cluster file) and that the"
              + " network lets this host reach it",
          f.cause());
    }
    c.channel = f.channel();
    JsonNode hello;
    try {
      hello =
          c.exchange(
              AgentWire.request(ids.incrementAndGet(), AgentWire.HELLO, token),
              phase,
              -1,
              timeouts.connect());
    } catch (CheckpointException e) {
      c.channel.close();
      throw e;
    }
    if (!hello.path("ok").asBoolean()) {
      c.channel.close();
      throw new CheckpointException(
          null,
          phase,
          "agent " + address + " refused the connection: " + hello.path("error").path("message"),
          "give the coordinator the same token as the agent (agent.token_file)",
          null);
    }
    LOG.info(
        "connected to agent {} (host {})", address, hello.path("result").path("host").asText());
    connection = c;
    return c;
  }

  /** One TCP connection and the calls waiting for its replies. */
  private final class Connection extends SimpleChannelInboundHandler<Object> {
    private final Map<Long, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
    private volatile Channel channel;
    private volatile String lostBecause;

    JsonNode exchange(ObjectNode req, String phase, long epoch, Duration timeout)
        throws CheckpointException {
      long id = req.get("id").asLong();
      String what = req.get("op").asText() + (epoch > 0 ? " of epoch " + epoch : "");
      CompletableFuture<JsonNode> reply = new CompletableFuture<>();
      pending.put(id, reply);
      if (lostBecause != null) {
        reply.completeExceptionally(new IllegalStateException(lostBecause));
      }
      channel
          .writeAndFlush(req)
          .addListener(
              w -> {
                if (!w.isSuccess()) {
                  reply.completeExceptionally(
                      new IllegalStateException("cannot send: " + w.cause().getMessage()));
                }
              });
      try {
        return reply.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      } catch (TimeoutException e) {
        throw new CheckpointException(
            null,
            phase,
            "agent "
                + address
                + " did not answer "
                + what
                + " within "
                + timeout.toMillis()
                + " ms",
            LOST_HINT,
            null);
      } catch (ExecutionException e) {
        throw new CheckpointException(
            null,
            phase,
            "lost the connection to agent "
                + address
                + " during "
                + what
                + " ("
                + e.getCause().getMessage()
                + ")",
            LOST_HINT,
            e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new CheckpointException(null, phase, "interrupted waiting for " + address, null, e);
      } finally {
        pending.remove(id);
      }
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, Object msg) {
      if (!(msg instanceof JsonNode reply)) {
        LOG.warn("agent {} sent a malformed message: {}", address, msg);
        return;
      }
      CompletableFuture<JsonNode> f = pending.get(reply.path("id").asLong(-1));
      if (f != null) {
        f.complete(reply);
      } else if (!reply.path("ok").asBoolean()) {
        LOG.warn("agent {}: {}", address, reply.path("error").path("message").asText());
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      fail(lostBecause != null ? lostBecause : "the agent closed the connection");
      ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      fail(cause.getMessage() != null ? cause.getMessage() : cause.toString());
      ctx.close();
    }

    private void fail(String why) {
      if (lostBecause == null) {
        lostBecause = why;
      }
      for (CompletableFuture<JsonNode> f : pending.values()) {
        f.completeExceptionally(new IllegalStateException(lostBecause));
      }
    }
  }

  @Override
  public void close() {
    if (loop.isShuttingDown()) {
      return;
    }
    synchronized (this) {
      if (connection != null) {
        connection.channel.close().awaitUninterruptibly();
      }
    }
    loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }
}
