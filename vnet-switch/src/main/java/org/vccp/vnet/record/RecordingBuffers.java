package org.vccp.vnet.record;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Iterator;

/**
 * The direct buffers that the files of a recording use one after another. A direct buffer's memory
 * goes back to the system only once the garbage collector finds the buffer unreachable, and a
 * switch that allocates almost nothing on its heap rarely collects: with new buffers for every
 * file, recording rotated every 16 MiB grew the switch to 3.7 GB resident in 20 s (BENCHMARKS.md).
 * Taken and given back on the recorder's thread; synchronized all the same, since a file may be
 * closed elsewhere (a test, a failure path).
 */
final class RecordingBuffers {
  private final ArrayDeque<ByteBuffer> free = new ArrayDeque<>();
  private int allocated;

  /**
   * A direct buffer of exactly {@code capacity} bytes, cleared: one given back earlier if there is
   * one of that size, else a new one. Buffers of other sizes (a file system with another block
   * size) are let go.
   */
  synchronized ByteBuffer take(int capacity) {
    for (Iterator<ByteBuffer> it = free.iterator(); it.hasNext(); ) {
      ByteBuffer b = it.next();
      if (b.capacity() == capacity) {
        it.remove();
        return b.clear();
      }
    }
    free.clear();
    allocated++;
    return ByteBuffer.allocateDirect(capacity);
  }

  /** Gives back a buffer from {@link #take}, which nothing may use any more. */
  synchronized void give(ByteBuffer buffer) {
    free.push(buffer);
  }

  /** How many buffers were ever allocated (for tests). */
  synchronized int allocated() {
    return allocated;
  }
}
