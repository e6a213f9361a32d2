package org.vccp.vnet.port.stream;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.unix.FileDescriptor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntSupplier;
import org.vccp.vnet.port.EgressQueue;
import org.vccp.vnet.port.SocketQueues;
import org.vccp.vnet.port.UnsentFrames;
import org.vccp.vnet.status.Counters;
import org.vccp.vnet.status.PortCounter;

/**
 * Writes a stream port's queued frames to its socket from the ingress thread that forwarded them
 * into an idle ring ({@link org.vccp.vnet.port.Port#egressReadyInline}), so that a frame at low
 * load reaches its peer without waking the port's event loop: one thread from read to write, as
 * QEMU's hub and the kernel's bridge do. Under load the forwarder thread forwards, or the queue
 * holds more than {@link #MAX_BYTES} at each flush, and the loop drains it as before: a pipeline
 * across two threads.
 *
 * <p>Netty channels may be written only from their loop, so this writes to its own duplicate of the
 * socket's descriptor: Netty closing the channel cannot leave it writing to a number the kernel has
 * since given to another file, and the socket stays open until {@link #detach} closes the duplicate
 * too.
 *
 * <p>The {@link #lock() send lock} orders every write to the socket: this one's and the loop's
 * drains, which also makes each the egress queue's only consumer while it holds the lock. A direct
 * send happens only while Netty has no write outstanding, so it never overtakes Netty's own flush;
 * a write the socket takes only in part leaves the rest here ({@link #hasRest}) and stops direct
 * sends until the loop has sent it ahead of anything newer ({@link #takeRest}).
 */
final class DirectSend {
  /**
   * The most queued bytes sent this way (their stream encoding is no longer); more means load,
   * where the loop's pipeline wins.
   */
  static final int MAX_BYTES = 16 * 1024;

  private final ReentrantLock lock = new ReentrantLock();
  private final EgressQueue egress;
  private final Counters counters;
  private final IntSupplier nettyWrites;

  /** Frames in {@link #out} not yet known written, oldest first. Lock held. */
  private final UnsentFrames frames = new UnsentFrames();

  private final StreamFrameWriter writer = new StreamFrameWriter(frames);
  private final ByteBuffer memory = ByteBuffer.allocateDirect(MAX_BYTES);

  /** Over {@link #memory}, fixed in size (no leak tracking, no growth: it never needs either). */
  private final ByteBuf out = Unpooled.wrappedBuffer(memory).clear();

  /** The duplicate descriptor; lock held. */
  private FileDescriptor socket;

  /** Whether {@link #socket} is set, for a look without the lock. */
  private volatile boolean attached;

  /**
   * Bytes taken from the queue that are neither in the socket nor in Netty's hands yet, for {@link
   * #pendingBytes}. Set before the queue is drained and cleared only after they moved on, so that a
   * reader who looks at the queue, then this, then the socket never sees them nowhere.
   */
  private volatile int pendingBytes;

  private long restFrameBytes;

  /**
   * @param nettyWrites how many of the loop's writes Netty has not completed
   */
  DirectSend(EgressQueue egress, Counters counters, IntSupplier nettyWrites) {
    this.egress = egress;
    this.counters = counters;
    this.nettyWrites = nettyWrites;
  }

  /** Held by whoever writes to the socket or takes from the egress queue. */
  ReentrantLock lock() {
    return lock;
  }

  /**
   * Sends to the channel's socket from now on, through a duplicate of its descriptor; where there
   * is none, sends nothing (the loop writes everything). The channel's event loop only: there its
   * descriptor cannot be closed meanwhile.
   */
  void attach(Channel ch) {
    int fd = SocketQueues.duplicate(ch);
    attach(fd < 0 ? null : new FileDescriptor(fd));
  }

  /** Sends to {@code socket} (non-blocking), which this now owns and closes; null: to none. */
  void attach(FileDescriptor socket) {
    lock.lock();
    try {
      closeSocket();
      if (hasRest()) {
        throw new IllegalStateException("a rest of the last peer's stream is still here");
      }
      this.socket = socket;
      attached = socket != null;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Stops direct sends and closes the duplicate descriptor. A rest the socket did not take is given
   * up: its frames go to the end of {@code unsent} and count as {@code drop_no_port}. Returns how
   * many.
   */
  int detach(UnsentFrames unsent) {
    lock.lock();
    try {
      closeSocket();
      int n = frames.size();
      if (n > 0) {
        frames.moveTo(unsent, n);
        counters.addShared(PortCounter.DROP_NO_PORT, n);
      }
      out.clear();
      pendingBytes = 0;
      return n;
    } finally {
      lock.unlock();
    }
  }

  private void closeSocket() {
    attached = false;
    FileDescriptor s = socket;
    socket = null;
    if (s != null) {
      try {
        s.close();
      } catch (IOException e) {
        // the duplicate is gone either way
      }
    }
  }

  /**
   * Forwarding thread, after queuing: writes everything queued to the socket now if that is cheap
   * and cannot overtake the loop's writes. True when nothing is left queued; false when the loop
   * must drain (load, Netty busy, the lock taken, or the socket took only part).
   */
  boolean trySend() {
    if (!attached
        || egress.bytesQueued() > MAX_BYTES
        || nettyWrites.getAsInt() != 0
        || !lock.tryLock()) {
      return false;
    }
    try {
      // held twice: the loop re-entered from its own drain, which carries on after this
      if (lock.getHoldCount() > 1 || socket == null || hasRest() || nettyWrites.getAsInt() != 0) {
        return false;
      }
      if (!egress.isEmpty()) {
        send();
      }
      return !hasRest() && egress.isEmpty();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Moves everything queued into one write and counts the frames it took whole; what it did not
   * take stays as the rest. Lock held.
   */
  private void send() {
    out.clear();
    pendingBytes = egress.bytesQueued();
    egress.drain(writer.reset(out), Integer.MAX_VALUE);
    int total = out.writerIndex();
    int written;
    try {
      written = socket.write(memory, 0, total);
    } catch (IOException e) {
      written = 0; // the peer is gone or going: the loop finds out and gives the rest up
    }
    long bytes = 0;
    int whole = 0;
    int left = written;
    while (!frames.isEmpty() && left >= StreamFrameDecoder.LENGTH_BYTES + frames.oldestLength()) {
      int length = frames.oldestLength();
      left -= StreamFrameDecoder.LENGTH_BYTES + length;
      bytes += length;
      whole++;
      frames.skip(1);
    }
    if (whole > 0) {
      counters.addShared(PortCounter.TX_FRAMES, whole);
      counters.addShared(PortCounter.TX_BYTES, bytes);
      counters.addShared(PortCounter.TX_DIRECT_FRAMES, whole);
    }
    restFrameBytes = writer.bytes() - bytes;
    out.readerIndex(written);
    pendingBytes = total - written;
  }

  /** Whether a direct send left bytes the socket did not take. Lock held. */
  boolean hasRest() {
    return out.isReadable();
  }

  /** Lock held. */
  int restBytes() {
    return out.readableBytes();
  }

  /** Bytes on their way from the queue to the socket (see {@link #pendingBytes}); any thread. */
  int pendingBytes() {
    return pendingBytes;
  }

  /**
   * Hands the unwritten rest to the loop: its bytes into {@code into} and its frames, oldest first,
   * to the end of {@code rest}; their number and frame bytes into {@code moved[0]} and {@code
   * moved[1]}. Call {@link #handedOver} once they are in Netty's hands. Lock held.
   */
  void takeRest(ByteBuf into, UnsentFrames rest, long[] moved) {
    moved[0] = frames.size();
    moved[1] = restFrameBytes;
    into.writeBytes(out);
    frames.moveTo(rest, frames.size());
    out.clear();
  }

  /** The rest taken by {@link #takeRest} is now counted where it went. */
  void handedOver() {
    pendingBytes = 0;
  }
}
