package org.vccp.checkpoint.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves one host's {@link Agent} to remote coordinators over TCP ({@link RemoteAgent} is the
 * client; the messages are in docs/control-protocol.md, "Agent protocol").
 *
 * <p>A connection must open with a {@code hello} carrying the shared token, and every later request
 * carries it too; a wrong or missing token gets one error reply, the connection is closed and the
 * agent logs one line. Requests of one connection run in order on that connection's own thread,
 * never on the I/O thread (a prepare can take seconds); the agent serialises requests of several
 * connections. A dropped connection changes nothing in the agent: an epoch in progress stays for a
 * coordinator that reconnects, and the agent's silence watchdog resumes its guests if none does.
 */
public final class AgentServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(AgentServer.class);
  private static final long HELLO_TIMEOUT_MS = 10_000;

  private final Agent agent;
  private final RestoreTarget restore;
  private final AgentToken token;
  private final EventLoopGroup loop = AgentWire.eventLoop("vccp-agent-net");
  private final ChannelGroup connections = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
  private final AtomicBoolean closed = new AtomicBoolean();
  private Channel server;

  private AgentServer(Agent agent, RestoreTarget restore, AgentToken token) {
    this.agent = agent;
    this.restore = restore;
    this.token = token;
  }

  /** Listens on {@code listen} (port 0 picks a free one; see {@link #address()}). */
  public static AgentServer start(Agent agent, InetSocketAddress listen, AgentToken token) {
    return start(agent, null, listen, token);
  }

  /**
   * Listens on {@code listen}, also serving restores through {@code restore} (null: this agent
   * refuses them).
   */
  public static AgentServer start(
      Agent agent, RestoreTarget restore, InetSocketAddress listen, AgentToken token) {
    AgentServer s = new AgentServer(agent, restore, token);
    ChannelFuture f =
        new ServerBootstrap()
            .group(s.loop)
            .channel(EpollServerSocketChannel.class)
            .childHandler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    AgentWire.framing(ch.pipeline());
                    ch.pipeline().addLast(s.new Session());
                  }
                })
            .bind(listen)
            .awaitUninterruptibly();
    if (!f.isSuccess()) {
      s.loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      throw new IllegalStateException(
          "agent: cannot listen on "
              + listen.getHostString()
              + ":"
              + listen.getPort()
              + ": "
              + f.cause().getMessage()
              + "; pick another agent.listen address or stop what holds it",
          f.cause());
    }
    s.server = f.channel();
    LOG.info("agent {} listening for coordinators on {}", agent.host(), s.address());
    return s;
  }

  /** The bound address. */
  public InetSocketAddress address() {
    return (InetSocketAddress) server.localAddress();
  }

  /** One coordinator connection: authentication, then requests in order on its own thread. */
  private final class Session extends SimpleChannelInboundHandler<Object> {
    private final ExecutorService worker =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "vccp-agent-request");
              t.setDaemon(true);
              return t;
            });
    private boolean authenticated;
    private volatile long epochOpen = -1;

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      connections.add(ctx.channel());
      ctx.executor()
          .schedule(
              () -> {
                if (!authenticated) {
                  refuse(ctx, null, "no hello within " + HELLO_TIMEOUT_MS + " ms");
                }
              },
              HELLO_TIMEOUT_MS,
              TimeUnit.MILLISECONDS);
      ctx.fireChannelActive();
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof AgentWire.Malformed m) {
        if (!authenticated) {
          refuse(ctx, null, m.reason());
        } else {
          ctx.writeAndFlush(AgentWire.error(null, AgentWire.BAD_REQUEST, m.reason()));
        }
        return;
      }
      JsonNode req = (JsonNode) msg;
      JsonNode id = req.get("id");
      int v = req.path("v").asInt(-1);
      if (v != AgentWire.VERSION) {
        String why =
            "this agent speaks agent protocol version "
                + AgentWire.VERSION
                + ", the request has v="
                + req.path("v")
                + "; use the same VCCP version on coordinator and agents";
        ChannelFuture f = ctx.writeAndFlush(AgentWire.error(id, AgentWire.BAD_VERSION, why));
        if (!authenticated) {
          f.addListener(ChannelFutureListener.CLOSE);
        }
        return;
      }
      if (!token.matches(AgentWire.text(req, "token"))) {
        refuse(ctx, id, req.hasNonNull("token") ? "wrong token" : "missing token");
        return;
      }
      String op = req.path("op").asText("");
      if (!authenticated && !AgentWire.HELLO.equals(op)) {
        refuse(ctx, id, "the first request must be hello, not '" + op + "'");
        return;
      }
      if (!authenticated) {
        authenticated = true;
        LOG.info("agent {}: coordinator connected from {}", agent.host(), remote(ctx));
      }
      worker.execute(() -> ctx.writeAndFlush(handle(id, op, req)));
    }

    private void refuse(ChannelHandlerContext ctx, JsonNode id, String why) {
      LOG.warn("agent {}: refused the connection from {}: {}", agent.host(), remote(ctx), why);
      ctx.writeAndFlush(
              AgentWire.error(
                  id,
                  AgentWire.AUTH,
                  "refused: "
                      + why
                      + "; the coordinator needs the agent's token (agent.token_file)"))
          .addListener(ChannelFutureListener.CLOSE);
    }

    private ObjectNode handle(JsonNode id, String op, JsonNode req) {
      try {
        JsonNode result;
        switch (op) {
          case AgentWire.HELLO -> {
            result =
                AgentWire.JSON
                    .createObjectNode()
                    .put("host", agent.host())
                    .put("protocol", AgentWire.VERSION)
                    .put("epochInProgress", agent.epochInProgress());
          }
          case AgentWire.PREPARE -> {
            long e = epoch(req);
            epochOpen = e;
            result = AgentWire.JSON.valueToTree(agent.prepare(e, req.path("naive").asBoolean()));
          }
          case AgentWire.FLUSH -> result = AgentWire.JSON.valueToTree(agent.flushLinks(epoch(req)));
          case AgentWire.SNAPSHOT -> {
            String dir = AgentWire.text(req, "dir");
            if (dir == null || dir.isEmpty()) {
              throw new IllegalArgumentException("snapshot needs \"dir\": the epoch's directory");
            }
            result = AgentWire.JSON.valueToTree(agent.snapshot(epoch(req), Path.of(dir)));
          }
          case AgentWire.RESUME -> {
            long e = epoch(req);
            epochOpen = -1;
            result = AgentWire.JSON.valueToTree(agent.resume(e));
          }
          case AgentWire.ABORT -> {
            epochOpen = -1;
            agent.abort(epoch(req), req.path("reason").asText("coordinator aborted"));
            result = null;
          }
          case AgentWire.MARK -> {
            String text = AgentWire.text(req, "text");
            if (text == null || text.isEmpty() || text.contains("\n")) {
              throw new IllegalArgumentException("mark needs \"text\": one line");
            }
            agent.mark(text);
            result = null;
          }
          case AgentWire.RESTORE_LOAD -> {
            String dir = AgentWire.text(req, "dir");
            if (dir == null || dir.isEmpty()) {
              throw new IllegalArgumentException("restore-load needs \"dir\": the checkpoint");
            }
            result = AgentWire.JSON.valueToTree(restoreTarget().restoreLoad(Path.of(dir)));
          }
          case AgentWire.RESTORE_FENCE ->
              result = AgentWire.JSON.valueToTree(restoreTarget().restoreFence());
          case AgentWire.RESTORE_SETTLE -> {
            restoreTarget().restoreSettle();
            result = null;
          }
          case AgentWire.RESTORE_GO ->
              result = AgentWire.JSON.valueToTree(restoreTarget().restoreGo());
          case AgentWire.RESTORE_ABANDON -> {
            restoreTarget().restoreAbandon();
            result = null;
          }
          default ->
              throw new IllegalArgumentException(
                  "unknown op '"
                      + op
                      + "'; known: hello, prepare, flush, snapshot, resume, abort, mark,"
                      + " restore-load, restore-fence, restore-settle, restore-go, restore-abandon");
        }
        return AgentWire.ok(id, result);
      } catch (CheckpointException e) {
        return AgentWire.error(id, e);
      } catch (IllegalArgumentException e) {
        return AgentWire.error(id, AgentWire.BAD_REQUEST, e.getMessage());
      } catch (RuntimeException e) {
        LOG.error("agent {}: {} failed", agent.host(), op, e);
        return AgentWire.error(id, AgentWire.INTERNAL, op + ": " + e);
      }
    }

    private RestoreTarget restoreTarget() {
      if (restore == null) {
        throw new IllegalArgumentException(
            "agent " + agent.host() + " does not serve restores (no cluster behind it)");
      }
      return restore;
    }

    private long epoch(JsonNode req) {
      JsonNode e = req.get("epoch");
      if (e == null || !e.canConvertToLong() || e.asLong() < 1) {
        throw new IllegalArgumentException("needs \"epoch\": a positive integer");
      }
      return e.asLong();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      worker.shutdown();
      long e = epochOpen;
      if (e >= 0) {
        LOG.warn(
            "agent {}: coordinator at {} disconnected during epoch {}; unless a coordinator"
                + " resumes or aborts it, the agent resumes its guests on its own after its"
                + " silence timeout",
            agent.host(),
            remote(ctx),
            e);
      } else if (authenticated) {
        LOG.info("agent {}: coordinator at {} disconnected", agent.host(), remote(ctx));
      }
      ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      if (cause instanceof TooLongFrameException
          || cause.getCause() instanceof TooLongFrameException) {
        ctx.writeAndFlush(
                AgentWire.error(
                    null,
                    AgentWire.BAD_REQUEST,
                    "message longer than " + AgentWire.MAX_FRAME_BYTES + " bytes"))
            .addListener(ChannelFutureListener.CLOSE);
      } else {
        LOG.debug("agent {}: connection from {}: {}", agent.host(), remote(ctx), cause.toString());
        ctx.close();
      }
    }
  }

  private static String remote(ChannelHandlerContext ctx) {
    Object a = ctx.channel().remoteAddress();
    if (a instanceof InetSocketAddress i) {
      return i.getHostString() + ":" + i.getPort();
    }
    return String.valueOf(a);
  }

  /** Stops listening and drops every connection; an epoch in progress is left to the watchdog. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    if (server != null) {
      server.close().syncUninterruptibly();
    }
    connections.close().awaitUninterruptibly();
    loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }
}
