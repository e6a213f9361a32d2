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
 * Decodes QEMU's stream netdev framing and hands each whole frame to an {@link IngressSink} without
 * creating a buffer or object per frame.
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

  private final int maxFrameBytes;
  private final IngressSink sink;
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
    while (in.readableBytes() >= LENGTH_BYTES) {
      int start = in.readerIndex();
      long length = in.getUnsignedInt(start);
      if (length < EthernetFrame.HEADER_BYTES || length > maxFrameBytes) {
        failed = true;
        in.skipBytes(in.readableBytes());
        throw badLength(length);
      }
      if (in.readableBytes() < LENGTH_BYTES + length) {
        return;
      }
      sink.onFrame(in, start + LENGTH_BYTES, (int) length);
      in.readerIndex(start + LENGTH_BYTES + (int) length);
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
