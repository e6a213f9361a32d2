package org.vccp.vnet.ring;

import com.lmax.disruptor.AlertException;
import com.lmax.disruptor.Sequence;
import com.lmax.disruptor.SequenceBarrier;
import com.lmax.disruptor.util.Util;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The barrier of a consumer that trails the forwarder (the recorder): it may run any distance
 * behind, because its lag costs ring room, never forwarding latency. So it does not wait the way
 * the forwarder does (spinning and yielding through every gap between frames, which at tens of
 * thousands of frames per second never reaches the blocking phase and kept half a core busy doing
 * nothing on a two-core machine: BENCHMARKS.md). When nothing is ready it spins briefly, then
 * sleeps, each empty wake doubling the sleep from {@link #MIN_PARK_NS} up to {@link #MAX_PARK_NS};
 * any frame found resets it. A trailing consumer then wakes at most a few thousand times a second
 * when idle and not at all while it has a backlog. The ring holds thousands of slots, so a
 * half-millisecond nap lets it fill only under a burst of millions of frames per second, and then
 * ingress waits briefly rather than losing anything.
 */
final class TrailingBarrier implements SequenceBarrier {
  static final long MIN_PARK_NS = TimeUnit.MICROSECONDS.toNanos(20);
  static final long MAX_PARK_NS = TimeUnit.MICROSECONDS.toNanos(500);
  private static final int SPINS = 100;

  private final Sequence[] dependents;
  private volatile boolean alerted;

  /**
   * @param dependents the consumers this one trails; it never passes the slowest of them
   */
  TrailingBarrier(Sequence[] dependents) {
    if (dependents.length == 0) {
      throw new IllegalArgumentException("a trailing consumer needs a consumer to trail");
    }
    this.dependents = dependents.clone();
  }

  @Override
  public long waitFor(long sequence) throws AlertException {
    checkAlert();
    long available = Util.getMinimumSequence(dependents);
    int spins = 0;
    long parkNs = MIN_PARK_NS;
    while (available < sequence) {
      if (spins < SPINS) {
        spins++;
        Thread.onSpinWait();
      } else {
        LockSupport.parkNanos(this, parkNs);
        parkNs = Math.min(parkNs * 2, MAX_PARK_NS);
      }
      checkAlert();
      available = Util.getMinimumSequence(dependents);
    }
    // the consumers trailed only pass slots that were published, so all up to here are readable
    return available;
  }

  @Override
  public long getCursor() {
    return Util.getMinimumSequence(dependents);
  }

  @Override
  public boolean isAlerted() {
    return alerted;
  }

  @Override
  public void alert() {
    alerted = true;
  }

  @Override
  public void clearAlert() {
    alerted = false;
  }

  @Override
  public void checkAlert() throws AlertException {
    if (alerted) {
      throw AlertException.INSTANCE;
    }
  }
}
