package org.vccp.vnet.port.stream;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;
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
 * A length of 0, below 14 (an Ethernet header) or above the maximum frame size is not a frame: the
 * decoder throws {@link BadFrameException} and the port closes that connection, since after a bad
 * length nothing further on the stream can be trusted.
 */
public final class StreamFrameDecoder extends ByteToMessageDecoder {
  public static final int LENGTH_BYTES = 4;

  /** The most frames handed to the sink in one call. */
  public static final int BATCH = 256;

  private final int maxFrameBytes;
  private final IngressSink sink;
  private final int[] indexes = new int[BATCH];
  private final int[] lengths = new int[BATCH];
  private boolean failed;

  public StreamFrameDecoder(int maxFrameBytes, IngressSink sink) {
    this.maxFrameBytes = maxFrameBytes;
    this.sink = sink;
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    if (failed) {
      in.skipBytes(in.readableBytes());
      return;
    }
    int start = in.readerIndex();
    int end = in.writerIndex();
    int count = 0;
    try {
      while (end - start >= LENGTH_BYTES) {
        long length = in.getUnsignedInt(start);
        if (length < EthernetFrame.HEADER_BYTES || length > maxFrameBytes) {
          failed = true;
          deliver(in, count); // the frames before the bad length were good
          in.readerIndex(end);
          throw badLength(length);
        }
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

  private void deliver(ByteBuf in, int count) {
    if (count > 0) {
      sink.onFrames(in, indexes, lengths, count);
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
