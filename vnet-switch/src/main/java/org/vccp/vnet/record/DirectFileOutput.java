package org.vccp.vnet.record;

import com.sun.nio.file.ExtendedOpenOption;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;

/**
 * A new file written with {@code O_DIRECT}: blocks go from the writer's buffers to the disk without
 * passing through the page cache. On the machine the benchmarks run on, a buffered write of fresh
 * file data cost the recorder most of its CPU in the kernel's page-cache copy and reached 0.54
 * GB/s, while direct writes of the same data reached 1.4 GB/s and cost no copy (BENCHMARKS.md).
 *
 * <p>A direct write blocks its thread until the disk has the data: 0.3 ms for 512 KiB here. Done on
 * the recorder's thread, that wait cost recording at 64 bytes 40% of the switch's frames/s (the
 * same recorder writing nowhere cost 10%). So the writes run on a thread of their own, {@value
 * #THREAD_NAME}: the recorder fills one of {@link #BUFFERS} aligned buffers while the others are
 * written, in order, and waits only when all are in flight (then the ring fills and ingress waits,
 * as for any slow recorder: no frame is left out).
 *
 * <p>Direct I/O writes only whole, aligned blocks from an aligned buffer. So a flush writes the
 * buffer's whole blocks and carries the partial last block over to the start of the next buffer. A
 * complete flush also writes that partial block, padded with zeros, truncates the file to its true
 * length, and waits until all of it is in the file: a reader (tshark, {@code vccp verify}) never
 * sees the padding. The partial block is written again, with what follows it, by the next flush.
 *
 * <p>A write error is kept and thrown from the next flush or {@link #close()}; the buffers still
 * come back, so the recorder is never left waiting for one.
 */
final class DirectFileOutput implements AutoCloseable {
  static final String THREAD_NAME = "vccp-record-io";

  /** One being filled, the rest queued or being written. */
  static final int BUFFERS = 3;

  /**
   * A write for the I/O thread; a negative {@code truncateTo} leaves the length alone; {@code done}
   * is counted down once it is in the file or has failed.
   */
  private record Write(ByteBuffer buf, long at, long truncateTo, CountDownLatch done) {}

  private static final Write CLOSE = new Write(null, -1, -1, null);

  private static final CountDownLatch NONE = new CountDownLatch(0);

  private final FileChannel channel;
  private final int align;
  private final BlockingQueue<ByteBuffer> free = new ArrayBlockingQueue<>(BUFFERS);
  private final BlockingQueue<Write> writes = new ArrayBlockingQueue<>(BUFFERS + 1);
  private final Thread io;
  private volatile IOException failure;
  private boolean closed;

  /** Counted down when the last write handed over is done (or failed). */
  private CountDownLatch lastWrite = NONE;

  /** File offset of the current buffer's first byte: always a multiple of {@link #align}. */
  private long filePos;

  /** Where the buffers come from and go back to when the file is closed. */
  private final RecordingBuffers pool;

  /** The pool's buffers, of which {@link #free} holds aligned slices. */
  private final List<ByteBuffer> taken = new ArrayList<>(BUFFERS);

  /** Package-private for tests; {@link #create} opens the file. */
  DirectFileOutput(FileChannel channel, int align, int bufferBytes) {
    this(channel, align, bufferBytes, new RecordingBuffers());
  }

  DirectFileOutput(FileChannel channel, int align, int bufferBytes, RecordingBuffers pool) {
    this.channel = channel;
    this.align = align;
    this.pool = pool;
    int size = (bufferBytes + align - 1) & -align;
    for (int i = 0; i < BUFFERS; i++) {
      ByteBuffer b = pool.take(size + align);
      taken.add(b);
      free.add(b.alignedSlice(align).order(ByteOrder.LITTLE_ENDIAN));
    }
    this.io = new Thread(this::writeLoop, THREAD_NAME);
    io.setDaemon(true);
    io.start();
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
  static DirectFileOutput create(Path file, int bufferBytes, RecordingBuffers pool)
      throws IOException {
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
    return new DirectFileOutput(ch, align, bufferBytes, pool);
  }

  /** File bytes before the current buffer's first byte. */
  long flushedBytes() {
    return filePos;
  }

  /** The first buffer to fill: aligned, little-endian, a multiple of the alignment in size. */
  ByteBuffer firstBuffer() {
    return free.remove();
  }

  /**
   * Hands {@code buf}'s whole blocks from {@code [0, position)} to the I/O thread and, if {@code
   * complete}, the partial last block too, then waits until everything handed over so far is in the
   * file. Returns the buffer to go on filling: one that holds only the partial last block (position
   * = its length).
   *
   * @param buf the buffer last returned (or {@link #firstBuffer()})
   * @throws IOException when a write failed, now or earlier, or the output is closed
   */
  ByteBuffer flush(ByteBuffer buf, boolean complete) throws IOException {
    if (closed) {
      throw new ClosedChannelException();
    }
    rethrow();
    int n = buf.position();
    int whole = n & -align;
    int tail = n - whole;
    ByteBuffer next = buf;
    if (whole > 0 || (tail > 0 && complete)) {
      next = uninterruptibly(free::take);
      next.clear().put(0, buf, whole, tail).position(tail);
      CountDownLatch done = new CountDownLatch(1);
      if (complete && tail > 0) {
        for (int i = n; i < whole + align; i++) {
          buf.put(i, (byte) 0);
        }
        writes.add(new Write(buf.limit(whole + align).position(0), filePos, filePos + n, done));
      } else {
        writes.add(new Write(buf.limit(whole).position(0), filePos, -1, done));
      }
      lastWrite = done;
      filePos += whole;
    }
    if (complete) {
      CountDownLatch last = lastWrite;
      uninterruptibly(
          () -> {
            last.await();
            return null;
          });
      rethrow();
    }
    return next;
  }

  /** A blocking call, for {@link #uninterruptibly}. */
  private interface Blocking<T> {
    T call() throws InterruptedException;
  }

  /**
   * Runs {@code call} to its end, keeping an interrupt for the caller instead of obeying it: the
   * waits here (for a free buffer, a write, the I/O thread's end) always end, since the I/O thread
   * gives every buffer back and counts every write done, whatever becomes of it; giving up midway
   * would strand a buffer or a file.
   */
  private static <T> T uninterruptibly(Blocking<T> call) {
    boolean interrupted = false;
    try {
      while (true) {
        try {
          return call.call();
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private void rethrow() throws IOException {
    IOException e = failure;
    if (e != null) {
      throw new IOException(e.getMessage(), e);
    }
  }

  /**
   * The I/O thread: writes in order until {@link #close}; after a failure it only gives the buffers
   * back and counts the writes done, so nothing waits for it in vain.
   */
  private void writeLoop() {
    while (true) {
      Write w;
      try {
        w = writes.take();
      } catch (InterruptedException e) {
        fail(new InterruptedIOException("the recording's I/O thread was interrupted"));
        continue;
      }
      if (w == CLOSE) {
        return;
      }
      try {
        if (failure == null) {
          long pos = w.at();
          while (w.buf().hasRemaining()) {
            pos += channel.write(w.buf(), pos);
          }
          if (w.truncateTo() >= 0) {
            channel.truncate(w.truncateTo());
          }
        }
      } catch (Throwable e) {
        fail(e);
      } finally {
        free.add(w.buf().clear());
        w.done().countDown();
      }
    }
  }

  private void fail(Throwable e) {
    if (failure == null) {
      failure = e instanceof IOException io ? io : new IOException(e.toString(), e);
    }
  }

  /**
   * Waits for the writes handed over, stops the I/O thread, closes the file and gives the buffers
   * back to the pool (the writer filling them must be done with them).
   */
  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    writes.add(CLOSE); // room for it: one write per buffer, plus this
    try {
      uninterruptibly(
          () -> {
            io.join();
            return null;
          });
    } finally {
      try {
        channel.close();
      } finally {
        taken.forEach(pool::give); // the I/O thread has ended: none is being written
        taken.clear();
      }
    }
    rethrow();
  }
}
