package org.vccp.checkpoint.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.util.ResourceLeakDetector;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The agent protocol's framing on an EmbeddedChannel, with paranoid leak detection. */
class AgentWireTest {
  private final EmbeddedChannel ch = new EmbeddedChannel();

  @BeforeAll
  static void paranoid() {
    ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
  }

  AgentWireTest() {
    AgentWire.framing(ch.pipeline());
  }

  @AfterEach
  void close() {
    ch.finishAndReleaseAll();
  }

  private static ByteBuf frame(String json) {
    byte[] b = json.getBytes(StandardCharsets.UTF_8);
    return Unpooled.buffer().writeInt(b.length).writeBytes(b);
  }

  @Test
  void aWholeFrameBecomesOneObjectAndNothingComesOfAPartialOne() {
    ByteBuf f = frame("{\"v\":1,\"id\":3,\"op\":\"hello\"}");
    ch.writeInbound(f.readRetainedSlice(10));
    assertThat((Object) ch.readInbound()).isNull();
    ch.writeInbound(f);
    JsonNode n = ch.readInbound();
    assertThat(n.path("op").asText()).isEqualTo("hello");
    assertThat(n.path("id").asLong()).isEqualTo(3);
  }

  @Test
  void aFrameThatIsNotOneJsonObjectIsReportedNotThrown() {
    ch.writeInbound(frame("[1,2]"));
    ch.writeInbound(frame("{not json"));
    assertThat(((AgentWire.Malformed) ch.readInbound()).reason()).contains("one JSON object");
    assertThat(((AgentWire.Malformed) ch.readInbound()).reason()).startsWith("malformed JSON");
  }

  @Test
  void anObjectGoesOutLengthPrefixed() {
    ObjectNode req = AgentWire.request(9, AgentWire.PREPARE, new AgentToken("t"));
    ch.writeOutbound(req);
    ByteBuf out = Unpooled.buffer();
    for (ByteBuf b; (b = ch.readOutbound()) != null; ) {
      out.writeBytes(b);
      b.release();
    }
    int len = out.readInt();
    assertThat(out.readableBytes()).isEqualTo(len);
    assertThat(out.toString(StandardCharsets.UTF_8))
        .isEqualTo("{\"v\":1,\"id\":9,\"op\":\"prepare\",\"token\":\"t\"}");
    out.release();
  }

  @Test
  void aFrameLongerThanTheLimitIsRefused() {
    ByteBuf huge = Unpooled.buffer().writeInt(AgentWire.MAX_FRAME_BYTES + 1).writeByte('{');
    assertThatThrownBy(() -> ch.writeInbound(huge)).isInstanceOf(TooLongFrameException.class);
  }

  @Test
  void anAgentErrorKeepsItsFields() {
    CheckpointException e =
        new CheckpointException("g2", "prepare", "the guest died", "restore the cluster", null);
    JsonNode err = AgentWire.error(AgentWire.JSON.getNodeFactory().numberNode(4), e).get("error");
    CheckpointException back = AgentWire.checkpointException(err);
    assertThat(back.getMessage()).isEqualTo(e.getMessage());
    assertThat(back.guest()).isEqualTo("g2");
    assertThat(back.phase()).isEqualTo("prepare");
    assertThat(back.what()).isEqualTo("the guest died");
    assertThat(back.hint()).isEqualTo("restore the cluster");
    assertThat(new AgentToken("abc").matches("abc")).isTrue();
    assertThat(new AgentToken("abc").matches("abd")).isFalse();
    assertThat(new AgentToken("abc").matches(null)).isFalse();
  }
}
