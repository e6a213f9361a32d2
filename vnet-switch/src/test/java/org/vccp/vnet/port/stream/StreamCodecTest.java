package org.vccp.vnet.port.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import io.netty.util.ResourceLeakDetector;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.vccp.vnet.port.BadFrameException;
import org.vccp.vnet.port.EgressQueue;
import org.vccp.vnet.port.UnsentFrames;
import org.vccp.vnet.ring.FrameRing;
import org.vccp.vnet.status.PortCounter;
import org.vccp.vnet.testing.Frames;

/** The stream framing decoder and writer, on Netty's EmbeddedChannel with paranoid leak checks. */
class StreamCodecTest {
  private final List<byte[]> decoded = new ArrayList<>();
  private EmbeddedChannel channel;
  private final List<Integer> batches = new ArrayList<>();

  @BeforeAll
  static void paranoid() {
    ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
  }

  private EmbeddedChannel decoder(int maxFrameBytes) {
    channel =
        new EmbeddedChannel(
            new StreamFrameDecoder(
                maxFrameBytes,
                (buf, indexes, lengths, count) -> {
                  batches.add(count);
                  for (int i = 0; i < count; i++) {
                    byte[] f = new byte[lengths[i]];
                    buf.getBytes(indexes[i], f);
                    decoded.add(f);
                  }
                }));
    return channel;
  }

  @Test
  void framesOfOneReadArriveInBatchesOfAtMost256InOrder() {
    List<byte[]> sent = new ArrayList<>();
    for (int i = 0; i < 600; i++) {
      sent.add(Frames.frame(1, 2, 60 + i % 50, i));
    }
    decoder(FrameRing.MAX_FRAME_BYTES).writeInbound(framed(sent.toArray(new byte[0][])));
    assertThat(batches).containsExactly(256, 256, 88);
    assertThat(decoded).containsExactlyElementsOf(sent);
  }

  @AfterEach
  void finish() {
    if (channel != null) {
      channel.finishAndReleaseAll();
    }
  }

  private static ByteBuf framed(byte[]... frames) {
    ByteBuf b = Unpooled.buffer();
    for (byte[] f : frames) {
      b.writeInt(f.length).writeBytes(f);
    }
    return b;
  }

  @Test
  void decodesSeveralFramesInOneRead() {
    byte[] a = Frames.frame(1, 2, 60, 1);
    byte[] b = Frames.frame(1, 2, 1514, 2);
    decoder(FrameRing.MAX_FRAME_BYTES).writeInbound(framed(a, b));
    assertThat(decoded).containsExactly(a, b);
  }

  @Test
  void waitsForWholeFrameAcrossReadsSplitAnywhere() {
    byte[] a = Frames.frame(1, 2, 100, 7);
    byte[] b = Frames.frame(3, 4, 64, 8);
    ByteBuf all = framed(a, b);
    byte[] bytes = new byte[all.readableBytes()];
    all.readBytes(bytes);
    all.release();
    EmbeddedChannel ch = decoder(FrameRing.MAX_FRAME_BYTES);
    for (int i = 0; i < bytes.length; i += 3) {
      ch.writeInbound(Unpooled.wrappedBuffer(bytes, i, Math.min(3, bytes.length - i)));
      if (i + 3 < 104) {
        assertThat(decoded).isEmpty();
      }
    }
    assertThat(decoded).containsExactly(a, b);
  }

  /** Reads of random sizes cut frames anywhere, jumbo ones across many reads: all arrive intact. */
  @Test
  void framesCutByReadsOfRandomSizesArriveWholeAndInOrder() {
    java.util.Random rnd = new java.util.Random(11);
    List<byte[]> sent = new ArrayList<>();
    for (int i = 0; i < 400; i++) {
      int len = i % 50 == 7 ? 9000 + rnd.nextInt(50_000) : 14 + rnd.nextInt(1500);
      sent.add(Frames.frame(1, 2, len, i));
    }
    ByteBuf all = framed(sent.toArray(new byte[0][]));
    EmbeddedChannel ch = decoder(FrameRing.MAX_FRAME_BYTES);
    while (all.isReadable()) {
      int n = Math.min(all.readableBytes(), 1 + rnd.nextInt(rnd.nextBoolean() ? 8 : 20_000));
      ch.writeInbound(all.readRetainedSlice(n));
    }
    all.release();
    assertThat(decoded).containsExactlyElementsOf(sent);
  }

  @Test
  void aBadLengthSplitAcrossReadsAfterACutFrameIsStillCaught() {
    byte[] good = Frames.frame(1, 2, 100, 1);
    ByteBuf in = framed(good).writeInt(FrameRing.MAX_FRAME_BYTES + 1).writeZero(8);
    EmbeddedChannel ch = decoder(FrameRing.MAX_FRAME_BYTES);
    ch.writeInbound(in.readRetainedSlice(50)); // part of the good frame
    ch.writeInbound(in.readRetainedSlice(4 + 100 - 50 + 2)); // its rest, half the bad length
    assertThat(decoded).containsExactly(good);
    assertThatThrownBy(() -> ch.writeInbound(in.readRetainedSlice(in.readableBytes())))
        .isInstanceOf(DecoderException.class)
        .cause()
        .isInstanceOf(BadFrameException.class);
    in.release();
    assertThat(decoded).containsExactly(good);
  }

  @Test
  void maximumSizeFramePassesIntact() {
    byte[] big = Frames.frame(1, 2, FrameRing.MAX_FRAME_BYTES, 42);
    decoder(FrameRing.MAX_FRAME_BYTES).writeInbound(framed(big));
    assertThat(decoded).hasSize(1);
    assertThat(decoded.get(0)).isEqualTo(big);
  }

  @Test
  void zeroLengthIsMalformed() {
    assertBadLength(0, PortCounter.DROP_MALFORMED_LENGTH);
  }

  @Test
  void lengthBelowEthernetHeaderIsRunt() {
    assertBadLength(13, PortCounter.DROP_RUNT);
  }

  @Test
  void lengthAboveMaximumIsOversize() {
    assertBadLength(FrameRing.MAX_FRAME_BYTES + 1, PortCounter.DROP_OVERSIZE);
  }

  @Test
  void frameBeforeABadLengthIsStillDelivered() {
    byte[] good = Frames.frame(1, 2, 60, 1);
    ByteBuf in = framed(good).writeInt(0);
    EmbeddedChannel ch = decoder(FrameRing.MAX_FRAME_BYTES);
    assertThatThrownBy(() -> ch.writeInbound(in)).isInstanceOf(DecoderException.class);
    assertThat(decoded).containsExactly(good);
  }

  private void assertBadLength(long length, PortCounter reason) {
    EmbeddedChannel ch = decoder(FrameRing.MAX_FRAME_BYTES);
    ByteBuf in = Unpooled.buffer().writeInt((int) length).writeZero(20);
    assertThatThrownBy(() -> ch.writeInbound(in))
        .isInstanceOf(DecoderException.class)
        .cause()
        .isInstanceOfSatisfying(
            BadFrameException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(reason);
              assertThat(e.value()).isEqualTo(length);
            });
    assertThat(decoded).isEmpty();
  }

  @Test
  void writerEncodesQueuedFramesThatDecodeBack() {
    EgressQueue q = new EgressQueue(1 << 20);
    List<byte[]> sent = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      byte[] f = Frames.frame(1, 2, 60 + i * 13, i);
      sent.add(f);
      assertThat(q.offer(f, f.length, false, -1, 0, -1)).isTrue();
    }
    StreamFrameWriter w = new StreamFrameWriter(new UnsentFrames());
    ByteBuf out = Unpooled.directBuffer(256 * 1024);
    q.drain(w.reset(out), Integer.MAX_VALUE);
    assertThat(w.frames()).isEqualTo(100);
    decoder(FrameRing.MAX_FRAME_BYTES).writeInbound(out);
    assertThat(decoded).containsExactlyElementsOf(sent);
    assertThat(q.isEmpty()).isTrue();
  }

  @Test
  void writerStopsAtAFullBufferAndLeavesTheRestQueued() {
    EgressQueue q = new EgressQueue(1 << 20);
    byte[] f = Frames.frame(1, 2, 1500, 0);
    for (int i = 0; i < 10; i++) {
      q.offer(f, f.length, false, -1, 0, -1);
    }
    StreamFrameWriter w = new StreamFrameWriter(new UnsentFrames());
    ByteBuf out = Unpooled.directBuffer(4 * 1504, 4 * 1504);
    q.drain(w.reset(out), Integer.MAX_VALUE);
    assertThat(w.frames()).isEqualTo(4);
    assertThat(q.bytesQueued()).isPositive();
    out.release();
  }

  @Test
  void writerGrowsAnEmptyBufferForAGiantFrame() {
    EgressQueue q = new EgressQueue(1 << 20);
    byte[] f = Frames.frame(1, 2, FrameRing.MAX_FRAME_BYTES, 0);
    q.offer(f, f.length, false, -1, 0, -1);
    StreamFrameWriter w = new StreamFrameWriter(new UnsentFrames());
    ByteBuf out = Unpooled.directBuffer(1024);
    q.drain(w.reset(out), Integer.MAX_VALUE);
    assertThat(w.frames()).isEqualTo(1);
    decoder(FrameRing.MAX_FRAME_BYTES).writeInbound(out);
    assertThat(decoded.get(0)).isEqualTo(f);
  }

  @Test
  void egressQueueRetagsFrames() {
    EgressQueue q = new EgressQueue(1 << 20);
    byte[] plain = Frames.frame(1, 2, 100, 5);
    byte[] tagged = Frames.tagged(1, 2, 10, 3, 104, 5);
    q.offer(plain, plain.length, false, (3 << 13) | 10, 0, -1);
    q.offer(tagged, tagged.length, true, -1, 0, -1);
    StreamFrameWriter w = new StreamFrameWriter(new UnsentFrames());
    ByteBuf out = Unpooled.directBuffer(4096);
    q.drain(w.reset(out), Integer.MAX_VALUE);
    decoder(FrameRing.MAX_FRAME_BYTES).writeInbound(out);
    assertThat(decoded).containsExactly(tagged, plain);
  }
}
