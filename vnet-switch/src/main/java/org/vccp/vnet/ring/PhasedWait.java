package org.vccp.vnet.ring;

import com.lmax.disruptor.AlertException;
import com.lmax.disruptor.BlockingWaitStrategy;
import com.lmax.disruptor.Sequence;
import com.lmax.disruptor.SequenceBarrier;
import com.lmax.disruptor.TimeoutException;
import com.lmax.disruptor.WaitStrategy;

/**
 * The forwarder's default wait: spin for {@link #SPIN_NS}, yield until {@link #YIELD_NS}, then
 * sleep on a lock until signalled (Disruptor's phased back-off with a lock), except while told to
 * {@linkplain #sleepAtOnce sleep at once}.
 *
 * <p>That is for recording: then the recorder, not the forwarder, limits the ring, ingress waits
 * for the recorder to free slots, and each slot it frees comes back to the forwarder a few
 * microseconds later, so the forwarder spun and yielded through every gap: a whole core on a
 * two-core machine, taken from the recorder it was waiting for. Sleeping at once raised 1→1 64 B
 * with recording from 1.6 M to 2.5–3.5 M frames/s (BENCHMARKS.md).
 */
final class PhasedWait implements WaitStrategy {
  static final long SPIN_NS = 10_000;
  static final long YIELD_NS = 100_000;
  private static final int CHECKS_PER_CLOCK_READ = 10_000;

  private final BlockingWaitStrategy sleep = new BlockingWaitStrategy();
  private volatile boolean sleepAtOnce;

  /** While on, a waiting forwarder sleeps at once instead of spinning and yielding first. */
  void sleepAtOnce(boolean on) {
    sleepAtOnce = on;
  }

  @Override
  public long waitFor(
      long sequence, Sequence cursor, Sequence dependentSequence, SequenceBarrier barrier)
      throws AlertException, InterruptedException, TimeoutException {
    if (sleepAtOnce) {
      return sleep.waitFor(sequence, cursor, dependentSequence, barrier);
    }
    long start = 0;
    int checks = CHECKS_PER_CLOCK_READ;
    while (true) {
      long available = dependentSequence.get();
      if (available >= sequence) {
        return available;
      }
      if (--checks == 0) {
        checks = CHECKS_PER_CLOCK_READ;
        barrier.checkAlert();
        if (start == 0) {
          start = System.nanoTime();
        } else {
          long waited = System.nanoTime() - start;
          if (waited > YIELD_NS) {
            return sleep.waitFor(sequence, cursor, dependentSequence, barrier);
          }
          if (waited > SPIN_NS) {
            Thread.yield();
          }
        }
      }
    }
  }

  @Override
  public void signalAllWhenBlocking() {
    sleep.signalAllWhenBlocking();
  }
}
