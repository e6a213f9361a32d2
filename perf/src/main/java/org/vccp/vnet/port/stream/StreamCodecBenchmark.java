package org.vccp.vnet.port.stream;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.vccp.vnet.port.EgressQueue;
import org.vccp.vnet.port.UnsentFrames;
import org.vccp.vnet.ring.FrameRing;

/**
 * The stream port's two byte paths, per frame, without sockets.
 *
 * <ul>
 *   <li>{@code decode}: {@code StreamFrameDecoder.decode} over one pooled direct buffer holding
 *       {@value #FRAMES} length-prefixed frames (one socket read's worth), handing each frame to a
 *       sink that copies it into a {@code byte[]}, as the ring's slot copy does.
 *   <li>{@code decodeEmbeddedChannel}: the same buffer through a Netty pipeline ({@link
 *       EmbeddedChannel}), so the handler's reference counting is included.
 *   <li>{@code decodeCutReads}: the same bytes through the pipeline in reads of {@value
 *       #CUT_READ_BYTES} bytes, which cut frames in two as socket reads do: the cost of carrying a
 *       cut frame over to the next read.
 *   <li>{@code encode}: {@value #FRAMES} frames offered to an {@link EgressQueue} (the forwarder's
 *       side), then drained by {@link StreamFrameWriter} into pooled 64 KiB direct buffers, the way
 *       {@code StreamPort.drain} builds each socket write.
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class StreamCodecBenchmark {
  static final int FRAMES = 256;
  static final int CUT_READ_BYTES = 7001;
  private static final int CHUNK_BYTES = 64 * 1024;

  @Param({"64", "1500"})
  public int frameBytes;

  private final ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
  private final byte[] slot = new byte[2048];
  private long checksum;

  private ByteBuf framed;
  private StreamFrameDecoder decoder;
  private EmbeddedChannel channel;

  private byte[] frame;
  private EgressQueue egress;
  private final StreamFrameWriter writer = new StreamFrameWriter(new UnsentFrames());

  @Setup
  public void setUp() {
    frame = new byte[frameBytes];
    for (int i = 0; i < frameBytes; i++) {
      frame[i] = (byte) i;
    }
    framed = alloc.directBuffer(FRAMES * (StreamFrameDecoder.LENGTH_BYTES + frameBytes));
    for (int i = 0; i < FRAMES; i++) {
      framed.writeInt(frameBytes).writeBytes(frame);
    }
    decoder = new StreamFrameDecoder(FrameRing.MAX_FRAME_BYTES, this::copyToSlot);
    channel =
        new EmbeddedChannel(new StreamFrameDecoder(FrameRing.MAX_FRAME_BYTES, this::copyToSlot));
    egress = new EgressQueue(1 << 20);
  }

  private void copyToSlot(ByteBuf buffer, int[] indexes, int[] lengths, int count) {
    for (int i = 0; i < count; i++) {
      buffer.getBytes(indexes[i], slot, 0, lengths[i]);
      checksum += slot[lengths[i] - 1];
    }
  }

  @Benchmark
  @OperationsPerInvocation(FRAMES)
  public long decode() {
    framed.readerIndex(0);
    decoder.decode(framed);
    return checksum;
  }

  @Benchmark
  @OperationsPerInvocation(FRAMES)
  public long decodeEmbeddedChannel() {
    channel.writeInbound(framed.retainedDuplicate().readerIndex(0));
    return checksum;
  }

  @Benchmark
  @OperationsPerInvocation(FRAMES)
  public long decodeCutReads() {
    int total = framed.writerIndex();
    for (int at = 0; at < total; at += CUT_READ_BYTES) {
      channel.writeInbound(framed.retainedSlice(at, Math.min(CUT_READ_BYTES, total - at)));
    }
    return checksum;
  }

  @Benchmark
  @OperationsPerInvocation(FRAMES)
  public long encode() {
    for (int i = 0; i < FRAMES; i++) {
      egress.offer(frame, frameBytes, false, -1, 0, -1);
    }
    long written = 0;
    while (!egress.isEmpty()) {
      ByteBuf out = alloc.directBuffer(CHUNK_BYTES);
      egress.drain(writer.reset(out), Integer.MAX_VALUE);
      written += out.readableBytes();
      out.release();
    }
    return written;
  }

  @TearDown
  public void tearDown() {
    channel.finishAndReleaseAll();
    framed.release();
  }
}
