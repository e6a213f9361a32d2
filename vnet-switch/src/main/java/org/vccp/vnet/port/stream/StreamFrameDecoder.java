package org.vccp.vnet.port.stream;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import org.vccp.vnet.frame.EthernetFrame;
import org.vccp.vnet.port.BadFrameException;
import org.vccp.vnet.port.IngressSink;
import org.vccp.vnet.status.PortCounter;

/**
 * Decodes QEMU's stream netdev framing and hands the whole frames of each read to an {@link
 * IngressSink} at once, up to {@link #BATCH} at a time, without creating a buffer or object per
 * frame.
 *
 * <pre>
 *  0               4                                 4 + length
 *  +---------------+---------------------------------+
 *  | length (BE32) | Ethernet frame (no FCS)          |
 *  +---------------+---------------------------------+
 * </pre>
 *
 * Frames are decoded in place in each read's buffer. Only a frame that a read cuts in two is
 * copied: its head into {@link #partial}, then the missing rest from the next read. (Netty's {@code
 * ByteToMessageDecoder} appended every read that followed a cut frame to its cumulation buffer, and
 * at 1500 bytes nearly every read ends inside a frame, so it copied nearly every byte once more.)
 *
 * <p>A length of 0, below 14 (an Ethernet header) or above the maximum frame size is not a frame:
 * the decoder throws {@link BadFrameException} (in a {@link DecoderException}) and the port closes
 * that connection, since after a bad length nothing further on the stream can be trusted.
 */
public final class StreamFrameDecoder extends ChannelInboundHandlerAdapter {
  public static final int LENGTH_BYTES = 4;

  /** The most frames handed to the sink in one call. */
  public static final int BATCH = 256;

  /** A partial-frame buffer grown past this is released once its frame is complete. */
  private static final int KEEP_PARTIAL_BYTES = 16 * 1024;

  private final int maxFrameBytes;
  private final IngressSink sink;
  private final int[] indexes = new int[BATCH];
  private final int[] lengths = new int[BATCH];
  private boolean failed;

  /** The bytes so far of a frame cut by the end of a read (length prefix included), or null. */
  private ByteBuf partial;

  public StreamFrameDecoder(int maxFrameBytes, IngressSink sink) {
    this.maxFrameBytes = maxFrameBytes;
    this.sink = sink;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof ByteBuf in)) {
      ctx.fireChannelRead(msg);
      return;
    }
    try {
      if (failed) {
        return;
      }
      if (partial != null && partial.isReadable() && !completePartial(in)) {
        return;
      }
      decode(in);
      if (in.isReadable()) {
        if (partial == null) {
          partial = ctx.alloc().buffer(Math.max(256, in.readableBytes()));
        }
        partial.writeBytes(in);
      }
    } finally {
      in.release();
    }
  }

  /**
   * Moves bytes of {@code in} into {@link #partial} until it holds its whole frame, then hands that
   * frame over. Returns false when {@code in} ran out first.
   */
  private boolean completePartial(ByteBuf in) {
    if (partial.readableBytes() < LENGTH_BYTES) {
      partial.writeBytes(in, Math.min(LENGTH_BYTES - partial.readableBytes(), in.readableBytes()));
      if (partial.readableBytes() < LENGTH_BYTES) {
        return false;
      }
    }
    long length = partial.getUnsignedInt(partial.readerIndex());
    checkLength(length, 0, in);
    int missing = LENGTH_BYTES + (int) length - partial.readableBytes();
    int n = Math.min(missing, in.readableBytes());
    partial.writeBytes(in, n);
    if (n < missing) {
      return false;
    }
    indexes[0] = partial.readerIndex() + LENGTH_BYTES;
    lengths[0] = (int) length;
    sink.onFrames(partial, indexes, lengths, 1);
    if (partial.capacity() > KEEP_PARTIAL_BYTES) {
      partial.release();
      partial = null;
    } else {
      partial.clear();
    }
    return true;
  }

  /** Hands over every whole frame of {@code in}, leaving its reader index at the first cut one. */
  void decode(ByteBuf in) {
    int start = in.readerIndex();
    int end = in.writerIndex();
    int count = 0;
    try {
      while (end - start >= LENGTH_BYTES) {
        long length = in.getUnsignedInt(start);
        checkLength(length, count, in);
        if (end - start < LENGTH_BYTES + length) {
          break;
        }
        indexes[count] = start + LENGTH_BYTES;
        lengths[count] = (int) length;
        start += LENGTH_BYTES + (int) length;
        if (++count == BATCH) {
          deliver(in, count);
          count = 0;
        }
      }
      deliver(in, count);
    } finally {
      if (!failed) {
        in.readerIndex(start);
      }
    }
  }

  /** Throws for a bad length, after handing over the {@code before} good frames of {@code in}. */
  private void checkLength(long length, int before, ByteBuf in) {
    if (length < EthernetFrame.HEADER_BYTES || length > maxFrameBytes) {
      failed = true;
      deliver(in, before); // the frames before the bad length were good
      in.skipBytes(in.readableBytes());
      throw new DecoderException(badLength(length));
    }
  }

  private void deliver(ByteBuf in, int count) {
    if (count > 0) {
      sink.onFrames(in, indexes, lengths, count);
    }
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    if (partial != null) {
      partial.release();
      partial = null;
    }
  }

  private BadFrameException badLength(long length) {
    if (length == 0) {
      return new BadFrameException(
          PortCounter.DROP_MALFORMED_LENGTH, 0, "stream length prefix is 0");
    }
    if (length < EthernetFrame.HEADER_BYTES) {
      return new BadFrameException(
          PortCounter.DROP_RUNT,
          length,
          "stream length " + length + " is shorter than an Ethernet header (14)");
    }
    return new BadFrameException(
        PortCounter.DROP_OVERSIZE,
        length,
        "stream length " + length + " exceeds the maximum frame size " + maxFrameBytes);
  }
}
