package org.vccp.vnet.port;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * A port's bounded egress queue: a single-producer, single-consumer byte ring of whole frames. The
 * forwarder is the only producer; the consumer is the port's I/O thread, or one thread at a time
 * that the port hands the role to under a lock (a stream port's direct sends). Frames are written
 * with their 802.1Q tag already added or removed for this port, so the consumer only copies bytes.
 *
 * <p>Being bounded in bytes is what isolates ports: a peer that stops reading fills only its own
 * queue, and the forwarder then drops (or, for a lossless port, holds back) frames for it alone.
 *
 * <pre>
 *  record:  +------------+----------+---------------+-----------------+----------+
 *           | length (4) | from (4) | packet id (8) | frame (length)  | pad to 8 |
 *           +------------+----------+---------------+-----------------+----------+
 *  wrap:    length = -1: the rest of the buffer is unused; continue at offset 0
 *  offload: bit 30 of length set: an 8-byte offload word follows the packet id, before the frame
 * </pre>
 *
 * The packet id (the frame's ring sequence, its {@code epb_packetid} in a recording) and ingress
 * port travel with the frame, so that a frame the port can no longer send (its peer left, the
 * interface refused it) can be reported to the recording as unsent, by id.
 *
 * <p>Positions only grow; {@code tail} is published with release semantics after the record's bytes
 * are written, and {@code head} after the consumer has finished with them, so each side reads only
 * bytes the other has finished with. (Agrona's OneToOneRingBuffer was used first; under a full
 * queue a drain found a zeroed header at the wrap point and the port stalled, so this 100-line
 * ring, whose invariants are stated here and tested, replaced it.)
 */
public final class EgressQueue {
  private static final VarHandle INT =
      MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.nativeOrder());
  private static final VarHandle LONG =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.nativeOrder());
  private static final VarHandle TAIL;
  private static final VarHandle HEAD;
  private static final int HEADER_BYTES = 16;
  private static final int WRAP = -1;

  /** Length-word bit: an 8-byte offload word follows the header (its frame is a super-frame). */
  private static final int OFFLOAD_BIT = 1 << 30;

  static {
    try {
      MethodHandles.Lookup l = MethodHandles.lookup();
      TAIL = l.findVarHandle(EgressQueue.class, "tail", long.class);
      HEAD = l.findVarHandle(EgressQueue.class, "head", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /** Receives queued frames; returns false to stop and leave this frame queued. */
  @FunctionalInterface
  public interface FrameHandler {
    /**
     * @param packetId the frame's packet id, as given to {@link #offer}
     * @param fromPort the port it came in on, or -1 when unknown
     */
    boolean onFrame(byte[] buffer, int offset, int length, long packetId, int fromPort);

    /**
     * A frame with the work it still owes ({@link org.vccp.vnet.frame.Offload}); only ports that
     * {@link Port#acceptsOffload() accept offloads} are given a non-zero {@code offload}, so the
     * default ignores it.
     */
    default boolean onFrame(
        byte[] buffer, int offset, int length, long packetId, int fromPort, long offload) {
      return onFrame(buffer, offset, length, packetId, fromPort);
    }
  }

  private final byte[] buffer;
  private final int capacity;
  private final int mask;

  @SuppressWarnings("unused")
  private volatile long tail;

  @SuppressWarnings("unused")
  private volatile long head;

  private long headCache;

  /**
   * @param capacityBytes queue size, rounded up to a power of two (at least 128 KiB)
   */
  public EgressQueue(int capacityBytes) {
    int cap = Integer.highestOneBit(Math.max(capacityBytes, 128 * 1024) - 1) << 1;
    this.capacity = cap;
    this.mask = cap - 1;
    this.buffer = new byte[cap];
  }

  private static int align(int n) {
    return (n + 7) & ~7;
  }

  /**
   * Enqueues a frame, optionally removing the 802.1Q tag it carries and/or inserting one. Producer
   * thread only.
   *
   * @param stripTag remove the 4-byte tag at offset 12 (the frame must carry one)
   * @param insertTci insert a tag with this TCI at offset 12, or -1 for none
   * @param packetId the frame's packet id (its ring sequence)
   * @param fromPort the port the frame came in on, or -1 when unknown
   * @return false when the queue is full (nothing was written)
   */
  public boolean offer(
      byte[] frame, int length, boolean stripTag, int insertTci, long packetId, int fromPort) {
    return offer(frame, 0, length, stripTag, insertTci, packetId, fromPort, 0L);
  }

  /**
   * Same as {@link #offer(byte[], int, boolean, int, long, int)} for a frame at {@code
   * frame[offset]} that may still owe the work {@code offload} ({@link
   * org.vccp.vnet.frame.Offload}; 0: none); the queue moves its checksum start with the tag it adds
   * or removes.
   */
  public boolean offer(
      byte[] frame,
      int offset,
      int length,
      boolean stripTag,
      int insertTci,
      long packetId,
      int fromPort,
      long offload) {
    int outLength = length - (stripTag ? 4 : 0) + (insertTci >= 0 ? 4 : 0);
    int header = offload == 0 ? HEADER_BYTES : HEADER_BYTES + 8;
    int need = header + align(outLength);
    long t = (long) TAIL.getOpaque(this);
    int index = (int) (t & mask);
    int toEnd = capacity - index;
    long total = need <= toEnd ? need : toEnd + need;
    if (total > capacity - (t - headCache)) {
      headCache = (long) HEAD.getAcquire(this);
      if (total > capacity - (t - headCache)) {
        return false;
      }
    }
    if (need > toEnd) {
      INT.set(buffer, index, WRAP);
      t += toEnd;
      index = 0;
    }
    INT.set(buffer, index, offload == 0 ? outLength : outLength | OFFLOAD_BIT);
    INT.set(buffer, index + 4, fromPort);
    LONG.set(buffer, index + 8, packetId);
    if (offload != 0) {
      LONG.set(
          buffer,
          index + HEADER_BYTES,
          org.vccp.vnet.frame.Offload.shifted(offload, outLength - length));
    }
    int at = index + header;
    if (!stripTag && insertTci < 0) {
      System.arraycopy(frame, offset, buffer, at, length);
    } else {
      System.arraycopy(frame, offset, buffer, at, 12);
      int w = at + 12;
      if (insertTci >= 0) {
        buffer[w] = (byte) 0x81;
        buffer[w + 1] = 0;
        buffer[w + 2] = (byte) (insertTci >>> 8);
        buffer[w + 3] = (byte) insertTci;
        w += 4;
      }
      int from = stripTag ? 16 : 12;
      System.arraycopy(frame, offset + from, buffer, w, length - from);
    }
    TAIL.setRelease(this, t + need);
    return true;
  }

  /**
   * Whether {@code frames} frames of {@code frameBytes} bytes in all, none longer than {@code
   * largestFrameBytes}, each perhaps gaining a VLAN tag, fit now wherever the queue wraps: so that
   * the segments of one super-frame are queued all or none. Producer thread only.
   */
  public boolean hasRoomFor(int frames, int frameBytes, int largestFrameBytes) {
    long need = worstCase(frames, frameBytes, largestFrameBytes);
    long t = (long) TAIL.getOpaque(this);
    if (need > capacity - (t - headCache)) {
      headCache = (long) HEAD.getAcquire(this);
    }
    return need <= capacity - (t - headCache);
  }

  /** Whether {@link #hasRoomFor} can ever be true for these frames, even with the queue empty. */
  public boolean canEverHold(int frames, int frameBytes, int largestFrameBytes) {
    return worstCase(frames, frameBytes, largestFrameBytes) <= capacity;
  }

  /** Queue bytes the frames may take: headers, tags, alignment, and one wrap's waste. */
  private static long worstCase(int frames, int frameBytes, int largestFrameBytes) {
    int worst = HEADER_BYTES + 4 + 7;
    return (long) frames * worst + frameBytes + worst + largestFrameBytes;
  }

  /**
   * Hands up to {@code frameLimit} queued frames to {@code handler} in order; the handler may stop
   * early by returning false, leaving that frame queued. Consumer thread only.
   *
   * @return frames consumed
   */
  public int drain(FrameHandler handler, int frameLimit) {
    long h = (long) HEAD.getOpaque(this);
    long t = (long) TAIL.getAcquire(this);
    int n = 0;
    while (h < t && n < frameLimit) {
      int index = (int) (h & mask);
      int word = (int) INT.get(buffer, index);
      if (word == WRAP) {
        h += capacity - index;
        continue;
      }
      int length = word & ~OFFLOAD_BIT;
      int header = HEADER_BYTES;
      long offload = 0;
      if (word != length) {
        offload = (long) LONG.get(buffer, index + HEADER_BYTES);
        header += 8;
      }
      if (!handler.onFrame(
          buffer,
          index + header,
          length,
          (long) LONG.get(buffer, index + 8),
          (int) INT.get(buffer, index + 4),
          offload)) {
        break;
      }
      h += header + align(length);
      n++;
    }
    HEAD.setRelease(this, h);
    return n;
  }

  /**
   * Drops everything queued, adding each frame to {@code unsent}, and returns how many frames that
   * was. Consumer thread only.
   */
  public int discardAll(UnsentFrames unsent) {
    return drain(
        (b, o, l, id, from) -> {
          unsent.add(id, from, l);
          return true;
        },
        Integer.MAX_VALUE);
  }

  public int bytesQueued() {
    return (int) ((long) TAIL.getAcquire(this) - (long) HEAD.getAcquire(this));
  }

  public boolean isEmpty() {
    return bytesQueued() == 0;
  }

  public int capacityBytes() {
    return capacity;
  }
}
