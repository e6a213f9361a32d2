package org.vccp.vnet.ring;

import com.lmax.disruptor.AlertException;
import com.lmax.disruptor.Sequence;
import com.lmax.disruptor.SequenceBarrier;
import com.lmax.disruptor.TimeoutException;
import com.lmax.disruptor.WaitStrategy;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The forwarder thread's wait strategy when ingress threads may forward themselves ({@link
 * ForwardingProcessor}): waits as the configured strategy does, but a publish by the thread that
 * holds the forwarder's role signals nobody, since that thread forwards the slot itself.
 */
final class InlineWait implements WaitStrategy {
  private final WaitStrategy delegate;
  private final ReentrantLock role = new ReentrantLock();

  InlineWait(WaitStrategy delegate) {
    this.delegate = delegate;
  }

  WaitStrategy delegate() {
    return delegate;
  }

  ReentrantLock role() {
    return role;
  }

  @Override
  public long waitFor(
      long sequence, Sequence cursor, Sequence dependentSequence, SequenceBarrier barrier)
      throws AlertException, InterruptedException, TimeoutException {
    return delegate.waitFor(sequence, cursor, dependentSequence, barrier);
  }

  @Override
  public void signalAllWhenBlocking() {
    if (!role.isHeldByCurrentThread()) {
      delegate.signalAllWhenBlocking();
    }
  }
}
