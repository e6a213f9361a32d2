package org.vccp.vnet.control;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.handler.codec.LineBasedFrameDecoder;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.string.StringDecoder;
import io.netty.handler.codec.string.StringEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vccp.vnet.VirtualSwitch;
import org.vccp.vnet.config.SwitchContext;
import org.vccp.vnet.frame.MacAddress;
import org.vccp.vnet.port.PortBindException;
import org.vccp.vnet.port.PortSpec;
import org.vccp.vnet.port.UnixSocketFiles;

/**
 * The switch's control socket: JSON lines over a Unix stream socket. Each request is one JSON
 * object with a {@code cmd}; each reply is one JSON object with {@code ok} and either the result or
 * an {@code error}. A malformed request gets an error reply and the connection stays open. Requests
 * run on one control thread, never on an I/O thread. See docs/control-protocol.md.
 */
public final class ControlServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ControlServer.class);
  private static final int MAX_LINE_BYTES = 1 << 20;

  private final VirtualSwitch sw;
  private final Path path;
  private final ObjectMapper json = new ObjectMapper();
  private final SwitchStatus status;
  private final ExecutorService worker =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "vccp-control");
            t.setDaemon(true);
            return t;
          });
  private final Map<String, CommandHandler> handlers = new LinkedHashMap<>();
  private Channel server;

  /** One control command. */
  @FunctionalInterface
  public interface CommandHandler {
    JsonNode handle(JsonNode request) throws Exception;
  }

  public ControlServer(VirtualSwitch sw, Path path) {
    this.sw = sw;
    this.path = path;
    this.status = new SwitchStatus(sw, json);
    handlers.put("ports", r -> wrap("ports", status.ports()));
    handlers.put("stats", r -> ok().setAll(status.stats()));
    handlers.put("macs", r -> wrap("macs", status.macs()));
    handlers.put("add-port", this::addPort);
    handlers.put("del-port", this::delPort);
    handlers.put("add-mac", this::addMac);
    handlers.put("record", this::record);
    handlers.put("mark", this::mark);
  }

  /**
   * A command that reports progress while it runs: each line reaches the client as {@code
   * {"progress":"..."}} before the reply.
   */
  @FunctionalInterface
  public interface StreamingHandler {
    JsonNode handle(JsonNode request, java.util.function.Consumer<String> progress)
        throws Exception;
  }

  private final Map<String, StreamingHandler> streaming =
      new java.util.concurrent.ConcurrentHashMap<>();

  /** Registers a command that streams progress lines before its reply. */
  public void registerStreaming(String cmd, StreamingHandler handler) {
    streaming.put(cmd, handler);
    handlers.put(cmd, r -> handler.handle(r, line -> {}));
  }

  /** Registers another command (later modules add hold/release, record, ...). */
  public void register(String cmd, CommandHandler handler) {
    handlers.put(cmd, handler);
  }

  /** Binds the socket on one of the switch's I/O loops. */
  public void start(EventLoop loop) {
    UnixSocketFiles.prepareForListen("control socket", path);
    ChannelFuture f =
        new ServerBootstrap()
            .group(loop, loop)
            .channel(EpollServerDomainSocketChannel.class)
            .childHandler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    ch.pipeline()
                        .addLast(new LineBasedFrameDecoder(MAX_LINE_BYTES))
                        .addLast(new StringDecoder(StandardCharsets.UTF_8))
                        .addLast(new StringEncoder(StandardCharsets.UTF_8))
                        .addLast(new RequestHandler());
                  }
                })
            .bind(new DomainSocketAddress(path.toString()))
            .awaitUninterruptibly();
    if (!f.isSuccess()) {
      throw new PortBindException(
          "control socket: cannot listen on unix:" + path + ": " + f.cause().getMessage(),
          f.cause());
    }
    server = f.channel();
    LOG.info("control socket on unix:{}", path);
  }

  private final class RequestHandler extends SimpleChannelInboundHandler<String> {
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, String line) {
      if (line.isBlank()) {
        return;
      }
      worker.execute(
          () -> {
            String reply =
                handle(
                    line,
                    progress -> {
                      ObjectNode p = json.createObjectNode().put("progress", progress);
                      ctx.writeAndFlush(p.toString() + "\n");
                    });
            ctx.writeAndFlush(reply + "\n");
          });
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      if (cause instanceof TooLongFrameException) {
        ctx.writeAndFlush(error("request longer than " + MAX_LINE_BYTES + " bytes") + "\n");
      } else {
        ctx.close();
      }
    }
  }

  /** Handles one request line and returns one reply line. Never throws. */
  public String handle(String line) {
    return handle(line, progress -> {});
  }

  /**
   * As {@link #handle(String)}, sending progress lines of streaming commands to {@code progress}.
   */
  public String handle(String line, java.util.function.Consumer<String> progress) {
    JsonNode req;
    try {
      req = json.readTree(line);
    } catch (JsonProcessingException e) {
      return error("malformed JSON: " + e.getOriginalMessage());
    }
    if (req == null || !req.isObject() || !req.path("cmd").isTextual()) {
      return error("request must be a JSON object with a \"cmd\" string, e.g. {\"cmd\":\"ports\"}");
    }
    String cmd = req.get("cmd").asText();
    CommandHandler h = handlers.get(cmd);
    if (h == null) {
      return error("unknown cmd '" + cmd + "'; known: " + String.join(", ", handlers.keySet()));
    }
    try {
      StreamingHandler sh = streaming.get(cmd);
      return json.writeValueAsString(sh != null ? sh.handle(req, progress) : h.handle(req));
    } catch (Exception e) {
      return error(cmd + ": " + e.getMessage());
    }
  }

  private ObjectNode ok() {
    return json.createObjectNode().put("ok", true);
  }

  private ObjectNode wrap(String key, JsonNode value) {
    ObjectNode o = ok();
    o.set(key, value);
    return o;
  }

  private String error(String message) {
    try {
      return json.writeValueAsString(
          json.createObjectNode().put("ok", false).put("error", message));
    } catch (JsonProcessingException e) {
      return "{\"ok\":false,\"error\":\"internal error\"}";
    }
  }

  private JsonNode addPort(JsonNode req) {
    PortSpec spec;
    if (req.path("spec").isTextual()) {
      spec = PortSpec.parse(req.get("spec").asText());
    } else if (req.path("port").isObject()) {
      Map<String, Object> m = new LinkedHashMap<>();
      req.get("port").fields().forEachRemaining(e -> m.put(e.getKey(), e.getValue().asText()));
      spec = PortSpec.fromMap(m);
    } else {
      throw new IllegalArgumentException(
          "needs \"spec\": \"NAME,listen=unix:/path\" or a \"port\" object");
    }
    sw.addPort(spec);
    return ok().put("port", spec.name());
  }

  private JsonNode delPort(JsonNode req) {
    String name = req.path("name").asText("");
    if (name.isEmpty()) {
      throw new IllegalArgumentException("needs \"name\": the port to remove");
    }
    sw.removePort(name);
    return ok().put("port", name);
  }

  private JsonNode addMac(JsonNode req) {
    long mac = MacAddress.parse(req.path("mac").asText(""));
    sw.addStaticMac(mac, req.path("port").asText(""), req.path("vlan").asInt(1));
    return ok();
  }

  private JsonNode record(JsonNode req) {
    String action = req.path("action").asText("status");
    org.vccp.vnet.record.RecordingStatus st;
    switch (action) {
      case "start" -> {
        SwitchContext ctx = sw.context();
        Path dir = req.path("dir").isTextual() ? Path.of(req.get("dir").asText()) : ctx.recordDir;
        if (dir == null) {
          throw new IllegalArgumentException(
              "needs \"dir\": the switch was started without --record DIR");
        }
        long[] rotate =
            req.path("rotate").isTextual()
                ? org.vccp.vnet.record.RecordingSettings.parseRotate(req.get("rotate").asText())
                : new long[] {ctx.recordRotateBytes, ctx.recordRotateNs};
        st =
            sw.startRecording(
                new org.vccp.vnet.record.RecordingSettings(
                    dir,
                    ctx.name,
                    rotate[0],
                    rotate[1],
                    req.path("snaplen").asInt(ctx.recordSnapLen),
                    req.path("egress_snaplen").asInt(ctx.recordEgressSnapLen),
                    req.path("keep").asInt(ctx.recordKeepFiles)));
        if (st.error() != null) {
          throw new IllegalArgumentException(st.error());
        }
      }
      case "stop" -> st = sw.stopRecording();
      case "status" -> st = sw.recordingStatus();
      default ->
          throw new IllegalArgumentException(
              "unknown action '" + action + "'; use start, stop or status");
    }
    ObjectNode r = ok().put("recording", st.on()).put("files", st.files());
    r.put("events", st.events()).put("bytes", st.bytes());
    if (st.run() != null) {
      r.put("run", st.run());
    }
    if (st.file() != null) {
      r.put("file", st.file().toString());
    }
    if (st.error() != null) {
      r.put("error_stopped", st.error());
    }
    return r;
  }

  private JsonNode mark(JsonNode req) {
    String text = req.path("text").asText("");
    if (text.isEmpty() || text.contains("\n")) {
      throw new IllegalArgumentException("needs \"text\": one line to write into the recording");
    }
    return ok().put("recorded", sw.mark(text));
  }

  @Override
  public void close() {
    if (server != null) {
      server.close().syncUninterruptibly();
      UnixSocketFiles.removeQuietly(path);
    }
    worker.shutdownNow();
  }
}
