package org.vccp.checkpoint.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.LengthFieldPrepender;
import io.netty.handler.codec.MessageToByteEncoder;
import io.netty.handler.codec.MessageToMessageDecoder;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.util.List;

/**
 * The agent protocol's framing and message shapes (docs/control-protocol.md, "Agent protocol"):
 * each message is a 4-byte big-endian length and that many bytes of one UTF-8 JSON object. A
 * request is {@code {"v":1,"id":N,"op":OP,"token":T,...}}; its reply echoes {@code v} and {@code
 * id} with {@code "ok":true,"result":{...}} or {@code "ok":false,"error":{kind, message, guest,
 * phase, what, hint}}.
 */
final class AgentWire {
  static final int VERSION = 1;
  static final int MAX_FRAME_BYTES = 4 << 20;
  static final ObjectMapper JSON = new ObjectMapper();

  static final String HELLO = "hello";
  static final String PREPARE = "prepare";
  static final String FLUSH = "flush";
  static final String SNAPSHOT = "snapshot";
  static final String RESUME = "resume";
  static final String ABORT = "abort";
  static final String MARK = "mark";
  static final String RESTORE_LOAD = "restore-load";
  static final String RESTORE_FENCE = "restore-fence";
  static final String RESTORE_SETTLE = "restore-settle";
  static final String RESTORE_GO = "restore-go";
  static final String RESTORE_ABANDON = "restore-abandon";

  /** Error kinds. */
  static final String AUTH = "auth";

  static final String BAD_VERSION = "version";
  static final String BAD_REQUEST = "bad-request";
  static final String CHECKPOINT = "checkpoint";
  static final String INTERNAL = "internal";

  private AgentWire() {}

  /** A frame that is not one JSON object; handlers reply to it instead of failing the channel. */
  record Malformed(String reason) {}

  /** Installs the length-prefixed JSON framing at the head of a pipeline. */
  static void framing(ChannelPipeline p) {
    p.addLast(new LengthFieldBasedFrameDecoder(MAX_FRAME_BYTES, 0, 4, 0, 4))
        .addLast(new LengthFieldPrepender(4))
        .addLast(new JsonDecoder())
        .addLast(new JsonEncoder());
  }

  /** One I/O thread, native epoll, daemon (the project's transport; PortIo). */
  static EventLoopGroup eventLoop(String name) {
    if (!Epoll.isAvailable()) {
      throw new IllegalStateException(
          "native epoll transport is unavailable ("
              + Epoll.unavailabilityCause()
              + "); VCCP needs Linux on x86-64");
    }
    return new MultiThreadIoEventLoopGroup(
        1, new DefaultThreadFactory(name, true), EpollIoHandler.newFactory());
  }

  /** A whole frame to one JSON object, or to {@link Malformed}. */
  static final class JsonDecoder extends MessageToMessageDecoder<ByteBuf> {
    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf frame, List<Object> out) {
      try {
        JsonNode n = JSON.readTree((java.io.InputStream) new ByteBufInputStream(frame));
        out.add(n != null && n.isObject() ? n : new Malformed("a message must be one JSON object"));
      } catch (IOException e) {
        out.add(new Malformed("malformed JSON: " + e.getMessage().lines().findFirst().orElse("")));
      }
    }
  }

  /** One JSON object to its UTF-8 bytes (the prepender adds the length). */
  static final class JsonEncoder extends MessageToByteEncoder<ObjectNode> {
    @Override
    protected void encode(ChannelHandlerContext ctx, ObjectNode msg, ByteBuf out)
        throws IOException {
      JSON.writeValue((java.io.OutputStream) new ByteBufOutputStream(out), msg);
    }
  }

  static ObjectNode request(long id, String op, AgentToken token) {
    return JSON.createObjectNode()
        .put("v", VERSION)
        .put("id", id)
        .put("op", op)
        .put("token", token.value());
  }

  static ObjectNode ok(JsonNode id, JsonNode result) {
    ObjectNode r = reply(id).put("ok", true);
    r.set("result", result != null ? result : JSON.createObjectNode());
    return r;
  }

  static ObjectNode error(JsonNode id, String kind, String message) {
    ObjectNode r = reply(id).put("ok", false);
    r.putObject("error").put("kind", kind).put("message", message);
    return r;
  }

  static ObjectNode error(JsonNode id, CheckpointException e) {
    ObjectNode r = error(id, CHECKPOINT, e.getMessage());
    ObjectNode err = (ObjectNode) r.get("error");
    err.put("guest", e.guest()).put("phase", e.phase()).put("what", e.what());
    err.put("hint", e.hint());
    return r;
  }

  private static ObjectNode reply(JsonNode id) {
    ObjectNode r = JSON.createObjectNode().put("v", VERSION);
    r.set("id", id != null ? id : JSON.nullNode());
    return r;
  }

  /** The agent's exception from an error of kind {@link #CHECKPOINT}, with the same fields. */
  static CheckpointException checkpointException(JsonNode err) {
    return new CheckpointException(
        text(err, "guest"), text(err, "phase"), text(err, "what"), text(err, "hint"), null);
  }

  static String text(JsonNode n, String field) {
    JsonNode v = n.get(field);
    return v == null || v.isNull() ? null : v.asText();
  }
}
