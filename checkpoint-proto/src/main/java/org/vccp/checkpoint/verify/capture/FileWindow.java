package org.vccp.checkpoint.verify.capture;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A sliding window of a file in one reusable heap buffer: readers ask for the next {@code n} bytes
 * to be contiguous in {@link #array()} and then read them with absolute gets. The buffer grows only
 * when a single block is larger than it (bounded by the caller).
 *
 * <pre>
 *   array(): [ consumed | pos ..... limit | free ]
 *                        ^ fileOffset(pos)
 * </pre>
 */
final class FileWindow implements Closeable {
  private final Path path;
  private final FileChannel channel;
  private final long size;
  private byte[] array;
  private ByteBuffer buffer;
  private ByteOrder order = ByteOrder.LITTLE_ENDIAN;
  private long arrayStart;
  private int pos;
  private int limit;

  FileWindow(Path path, int bufferBytes) throws IOException {
    this.path = path;
    this.channel = FileChannel.open(path, StandardOpenOption.READ);
    this.size = channel.size();
    this.array = new byte[bufferBytes];
    this.buffer = ByteBuffer.wrap(array).order(order);
  }

  Path path() {
    return path;
  }

  long size() {
    return size;
  }

  byte[] array() {
    return array;
  }

  /** Index in {@link #array()} of the current position. */
  int pos() {
    return pos;
  }

  /** File offset of the current position. */
  long offset() {
    return arrayStart + pos;
  }

  void order(ByteOrder order) {
    this.order = order;
    buffer.order(order);
  }

  ByteOrder order() {
    return order;
  }

  /**
   * Makes {@code n} bytes from the current position contiguous in the array. Returns how many are
   * available: {@code n}, or fewer only at end of file.
   */
  int ensure(int n) throws IOException {
    if (limit - pos >= n) {
      return n;
    }
    if (n > array.length) {
      byte[] bigger = new byte[Math.max(n, array.length * 2)];
      System.arraycopy(array, pos, bigger, 0, limit - pos);
      arrayStart += pos;
      limit -= pos;
      pos = 0;
      array = bigger;
      buffer = ByteBuffer.wrap(array).order(order);
    } else if (pos > 0) {
      System.arraycopy(array, pos, array, 0, limit - pos);
      arrayStart += pos;
      limit -= pos;
      pos = 0;
    }
    ByteBuffer dst = ByteBuffer.wrap(array, limit, array.length - limit);
    while (limit - pos < n) {
      int r = channel.read(dst, arrayStart + limit);
      if (r < 0) {
        break;
      }
      limit += r;
    }
    return Math.min(n, limit - pos);
  }

  /** Advances the position by {@code n} bytes that {@link #ensure} made available. */
  void skip(int n) {
    pos += n;
  }

  /** Skips {@code n} bytes that may lie beyond the buffered ones (e.g. a huge unknown block). */
  void skipLong(long n) {
    long buffered = limit - pos;
    if (n <= buffered) {
      pos += (int) n;
    } else {
      arrayStart = arrayStart + pos + n;
      pos = 0;
      limit = 0;
    }
  }

  int getInt(int index) {
    return buffer.getInt(index);
  }

  int getUnsignedShort(int index) {
    return buffer.getShort(index) & 0xffff;
  }

  long getUnsignedInt(int index) {
    return buffer.getInt(index) & 0xffffffffL;
  }

  long getLong(int index) {
    return buffer.getLong(index);
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
