package org.vccp.perf.loadgen;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;

/**
 * Reads QEMU stream framing (4-byte big-endian length, then the frame) from a non-blocking channel
 * into one large direct buffer and hands each whole frame, in place, to a {@link FrameHandler}.
 *
 * <p>One {@code read} may return hundreds of frames; all of them get the same receive time, taken
 * once right after the read returned. A partial frame at the end stays in the buffer and is
 * completed by the next read. Nothing is allocated per read or per frame.
 */
final class FrameInbox {
  /** Receives each whole frame; {@code buf} is only valid during the call. */
  @FunctionalInterface
  interface FrameHandler {
    void onFrame(ByteBuffer buf, int frameOffset, int frameLength, long rxNs);
  }

  static final int DEFAULT_BUFFER_BYTES = 1 << 20;

  private final String portName;
  private final ByteBuffer buf;
  private final FrameHandler handler;
  private long frames;

  FrameInbox(String portName, int bufferBytes, FrameHandler handler) {
    if (bufferBytes < TestFrame.PREFIX_BYTES + LoadSpec.MAX_FRAME_BYTES) {
      throw new IllegalArgumentException(
          "inbox buffer must hold the largest frame, was " + bufferBytes + " bytes");
    }
    this.portName = portName;
    this.buf = ByteBuffer.allocateDirect(bufferBytes);
    this.handler = handler;
  }

  /**
   * Reads once and dispatches every whole frame.
   *
   * @return bytes read, 0 if nothing was waiting
   * @throws EOFException if the peer closed the connection
   */
  int poll(ReadableByteChannel channel) throws IOException {
    int n = channel.read(buf);
    if (n < 0) {
      throw new EOFException(portName + ": the peer closed the connection");
    }
    if (n == 0) {
      return 0;
    }
    long rxNs = System.nanoTime();
    int limit = buf.position();
    int pos = 0;
    while (limit - pos >= TestFrame.PREFIX_BYTES) {
      int length = buf.getInt(pos);
      if (length < 14 || length > LoadSpec.MAX_FRAME_BYTES) {
        throw new IOException(
            portName
                + ": malformed stream from the peer: frame length "
                + length
                + " at byte "
                + pos
                + " of a read (expected 14.."
                + LoadSpec.MAX_FRAME_BYTES
                + ")");
      }
      if (limit - pos - TestFrame.PREFIX_BYTES < length) {
        break;
      }
      handler.onFrame(buf, pos + TestFrame.PREFIX_BYTES, length, rxNs);
      frames++;
      pos += TestFrame.PREFIX_BYTES + length;
    }
    if (pos == limit) {
      buf.clear();
    } else if (pos > 0) {
      buf.limit(limit).position(pos);
      buf.compact();
    }
    return n;
  }

  /** Whole frames dispatched so far. */
  long frames() {
    return frames;
  }
}
