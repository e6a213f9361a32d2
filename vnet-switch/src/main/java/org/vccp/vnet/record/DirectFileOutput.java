package org.vccp.vnet.record;

import com.sun.nio.file.ExtendedOpenOption;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A new file written with {@code O_DIRECT}: blocks go from the writer's buffer to the disk without
 * passing through the page cache. On the machine the benchmarks run on, a buffered write of fresh
 * file data cost the recorder most of its CPU in the kernel's page-cache copy and reached 0.54
 * GB/s, while direct writes of the same data reached 1.4 GB/s and cost no copy (BENCHMARKS.md).
 *
 * <p>Direct I/O writes only whole, aligned blocks from an aligned buffer. So a flush writes the
 * buffer's whole blocks, then the partial last block padded with zeros, and truncates the file to
 * its true length: a reader (tshark, {@code vccp verify}) never sees the padding. The partial block
 * stays at the start of the buffer and is written again, with what follows it, at the next flush.
 */
final class DirectFileOutput implements AutoCloseable {
  private final FileChannel channel;
  private final int align;

  /** File offset of the buffer's first byte: always a multiple of {@link #align}. */
  private long filePos;

  private DirectFileOutput(FileChannel channel, int align) {
    this.channel = channel;
    this.align = align;
  }

  /**
   * Directories whose file system refused {@code O_DIRECT} once: not tried again, because the JDK
   * may leave the descriptor of a refused open behind (it sets the flag after opening).
   */
  private static final Set<Path> REFUSED = ConcurrentHashMap.newKeySet();

  /**
   * Creates {@code file} for direct writes, or returns null when its file system cannot do direct
   * I/O (then nothing is left behind).
   *
   * @throws FileAlreadyExistsException when the file exists
   */
  static DirectFileOutput create(Path file) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    if (REFUSED.contains(dir)) {
      return null;
    }
    int align;
    try {
      long block = Files.getFileStore(dir).getBlockSize();
      if (block <= 0 || block > (1 << 16) || Long.bitCount(block) != 1) {
        REFUSED.add(dir);
        return null;
      }
      align = (int) block;
    } catch (IOException | UnsupportedOperationException e) {
      // e.g. no mount point for the directory in a container: write the ordinary way
      REFUSED.add(dir);
      return null;
    }
    FileChannel ch;
    try {
      ch =
          FileChannel.open(
              file,
              StandardOpenOption.CREATE_NEW,
              StandardOpenOption.WRITE,
              ExtendedOpenOption.DIRECT);
    } catch (FileAlreadyExistsException e) {
      throw e;
    } catch (IOException | UnsupportedOperationException e) {
      // e.g. EINVAL: this file system has no O_DIRECT; open() may have created the file first
      REFUSED.add(dir);
      Files.deleteIfExists(file);
      return null;
    }
    return new DirectFileOutput(ch, align);
  }

  /** The buffer alignment direct writes need. */
  int alignment() {
    return align;
  }

  /** File bytes before the buffer's first byte. */
  long flushedBytes() {
    return filePos;
  }

  /**
   * Writes {@code buf}'s whole blocks from {@code [0, position)} to the file and, if {@code
   * complete}, the partial last block too. On return the buffer holds only the partial last block
   * (position = its length), which after a complete flush is also in the file.
   *
   * @param buf aligned, with a capacity that is a multiple of {@link #alignment()}
   */
  void flush(ByteBuffer buf, boolean complete) throws IOException {
    int n = buf.position();
    int whole = n & -align;
    int tail = n - whole;
    if (whole > 0) {
      writeFully(buf.duplicate().limit(whole).position(0), filePos);
      filePos += whole;
    }
    if (tail > 0 && complete) {
      for (int i = n; i < whole + align; i++) {
        buf.put(i, (byte) 0);
      }
      writeFully(buf.duplicate().limit(whole + align).position(whole), filePos);
      channel.truncate(filePos + tail);
    }
    if (tail > 0 && whole > 0) {
      buf.put(0, buf, whole, tail);
    }
    buf.position(tail);
  }

  private void writeFully(ByteBuffer b, long at) throws IOException {
    long pos = at;
    while (b.hasRemaining()) {
      pos += channel.write(b, pos);
    }
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
