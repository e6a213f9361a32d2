package org.vccp.vnet.port.stream;

import io.netty.buffer.ByteBuf;
import org.vccp.vnet.port.EgressQueue;
import org.vccp.vnet.port.UnsentFrames;

/**
 * Encodes frames drained from an egress queue into one outgoing buffer in QEMU's stream framing
 * (4-byte big-endian length, then the frame). Stops, leaving the frame queued, when the buffer is
 * full; a frame larger than an empty buffer grows it. Reused for every drain: no garbage.
 */
final class StreamFrameWriter implements EgressQueue.FrameHandler {
  private final UnsentFrames written;
  private ByteBuf target;
  private int frames;
  private long bytes;

  /**
   * @param written where each frame put into a buffer is noted, so that a failed write can name its
   *     frames
   */
  StreamFrameWriter(UnsentFrames written) {
    this.written = written;
  }

  /** Starts filling {@code out}. */
  StreamFrameWriter reset(ByteBuf out) {
    this.target = out;
    this.frames = 0;
    this.bytes = 0;
    return this;
  }

  @Override
  public boolean onFrame(byte[] buffer, int offset, int length, long packetId, int fromPort) {
    ByteBuf out = target;
    int need = StreamFrameDecoder.LENGTH_BYTES + length;
    if (out.writableBytes() < need) {
      if (out.isReadable()) {
        return false;
      }
      out.ensureWritable(need);
    }
    out.writeInt(length);
    out.writeBytes(buffer, offset, length);
    written.add(packetId, fromPort, length);
    frames++;
    bytes += length;
    return true;
  }

  int frames() {
    return frames;
  }

  long bytes() {
    return bytes;
  }
}
