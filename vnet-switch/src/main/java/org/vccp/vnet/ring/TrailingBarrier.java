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
 * sleeps. The sleep halves after a wake that found a large backlog ({@link #LARGE_BACKLOG} slots),
 * down to {@link #MIN_PARK_NS}, doubles after one that found less than half of it, up to {@link
 * #MAX_PARK_NS}, and otherwise stays. So at a steady rate it settles where each wake finds a useful
 * batch and wakes at most a few thousand times a second (it used to keep any sleep that found a few
 * frames, so at millions of frames/s it stayed at the shortest, 50,000 wakes/s). A consumer that
 * reads only commands, whose sequence the forwarder moves ({@link TrailingProcessor}), sleeps
 * instead until {@linkplain #wake woken} ({@link #sleepUntilWoken}): by a published command, or by
 * a producer that finds the ring full.
 *
 * <p>One thread calls {@link #waitFor} and {@link #sleepUntilWoken}: the consumer's own.
 */
final class TrailingBarrier implements SequenceBarrier {
  static final long MIN_PARK_NS = TimeUnit.MICROSECONDS.toNanos(20);
  static final long MAX_PARK_NS = TimeUnit.MICROSECONDS.toNanos(500);

  /**
   * The longest sleep of a consumer that reads only commands: {@link #wake} cuts it short when a
   * command is published or a producer finds the ring full, so an idle switch need not wake 2,000
   * times a second to find nothing.
   */
  static final long MAX_IDLE_PARK_NS = TimeUnit.MILLISECONDS.toNanos(100);

  static final long LARGE_BACKLOG = 256;
  private static final int SPINS = 100;

  private final Sequence[] dependents;
  private volatile boolean alerted;
  private long parkNs = MIN_PARK_NS;
  private volatile Thread waiter;
  private volatile boolean woken;

  /**
   * @param dependents the consumers this one trails; it never passes the slowest of them
   */
  TrailingBarrier(Sequence[] dependents) {
    if (dependents.length == 0) {
      throw new IllegalArgumentException("a trailing consumer needs a consumer to trail");
    }
    this.dependents = dependents.clone();
  }

  /**
   * Sleeps until {@link #wake} or for {@code maxNs}, whichever comes first; returns at once if
   * woken since the last wait.
   */
  void sleepUntilWoken(long maxNs) throws AlertException {
    checkAlert();
    waiter = Thread.currentThread();
    if (!woken) {
      LockSupport.parkNanos(this, maxNs);
    }
    waiter = null;
    woken = false;
    checkAlert();
  }

  /** Cuts the consumer's sleep short: a command to read, or a producer waiting for room. */
  void wake() {
    woken = true;
    Thread t = waiter;
    if (t != null) {
      LockSupport.unpark(t);
    }
  }

  @Override
  public long waitFor(long sequence) throws AlertException {
    checkAlert();
    long available = Util.getMinimumSequence(dependents);
    int spun = 0;
    while (available < sequence) {
      if (spun < SPINS) {
        spun++;
        Thread.onSpinWait();
        available = Util.getMinimumSequence(dependents);
        continue;
      }
      // waiter is set only while parked here, so a producer waiting for room does not unpark the
      // consumer while it works (or waits for its disk); a wake between this check and the park
      // leaves a permit, and the park returns at once
      waiter = Thread.currentThread();
      if (woken) {
        // what woke it (a command) may still be with the consumers it trails: look again soon
        woken = false;
        parkNs = MIN_PARK_NS;
      }
      available = Util.getMinimumSequence(dependents);
      if (available >= sequence) {
        waiter = null;
        break;
      }
      LockSupport.parkNanos(this, parkNs);
      waiter = null;
      checkAlert();
      available = Util.getMinimumSequence(dependents);
      if (woken) {
        continue; // cut short: says nothing of the rate; the next round looks again soon
      }
      long found = available - sequence + 1;
      if (found >= LARGE_BACKLOG) {
        parkNs = Math.max(parkNs / 2, MIN_PARK_NS);
      } else if (found < LARGE_BACKLOG / 2) {
        parkNs = Math.min(parkNs * 2, MAX_PARK_NS);
      }
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
    wake();
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
