package org.vccp.vnet.ring;

import com.lmax.disruptor.AlertException;
import com.lmax.disruptor.BlockingWaitStrategy;
import com.lmax.disruptor.Sequence;
import com.lmax.disruptor.SequenceBarrier;
import com.lmax.disruptor.TimeoutException;
import com.lmax.disruptor.WaitStrategy;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The forwarder thread's wait strategy when ingress threads may forward themselves ({@link
 * ForwardingProcessor}): waits as the configured strategy does, except that after a wake-up that
 * found nothing left to do (an ingress thread forwarded it) the forwarder thread sleeps at once:
 * spinning through the gaps between frames that ingress threads forward anyway would only take a
 * core from them. A publish by the thread that holds the forwarder's role signals nobody, since
 * that thread forwards the slots itself.
 */
final class InlineWait implements WaitStrategy {
  private final WaitStrategy delegate;
  private final BlockingWaitStrategy sleeper = new BlockingWaitStrategy();
  private final ReentrantLock role = new ReentrantLock();

  /** The forwarder thread, once it runs. */
  private volatile Thread owner;

  /** Whether the forwarder thread's next wait sleeps at once. Written by that thread only. */
  private boolean sleepFirst;

  InlineWait(WaitStrategy delegate) {
    this.delegate = delegate;
  }

  ReentrantLock role() {
    return role;
  }

  /** Called by the forwarder thread: the thread whose waits {@link #sleepFirst} applies to. */
  void ownedBy(Thread t) {
    owner = t;
  }

  /** Forwarder thread only: whether its next wait sleeps at once. */
  void sleepFirst(boolean on) {
    sleepFirst = on;
  }

  @Override
  public long waitFor(
      long sequence, Sequence cursor, Sequence dependentSequence, SequenceBarrier barrier)
      throws AlertException, InterruptedException, TimeoutException {
    if (sleepFirst && Thread.currentThread() == owner) {
      return sleeper.waitFor(sequence, cursor, dependentSequence, barrier);
    }
    return delegate.waitFor(sequence, cursor, dependentSequence, barrier);
  }

  @Override
  public void signalAllWhenBlocking() {
    if (!role.isHeldByCurrentThread()) {
      delegate.signalAllWhenBlocking();
      sleeper.signalAllWhenBlocking();
    }
  }
}
