package org.vccp.vnet.ring;

import com.lmax.disruptor.EventProcessor;
import com.lmax.disruptor.Sequence;
import com.lmax.disruptor.SequenceBarrier;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The life cycle every consumer of the ring shares, as Disruptor's batch processor has it: its
 * sequence, running once at a time, and a halt that alerts its barrier (a halt that comes before
 * the thread starts makes it end at once). Subclasses say how to start, consume and stop.
 */
abstract class RingProcessor implements EventProcessor {
  private static final int IDLE = 0;
  private static final int HALTED = 1;
  private static final int RUNNING = 2;

  protected final Sequence sequence = new Sequence(-1);
  private final AtomicInteger running = new AtomicInteger(IDLE);
  private final SequenceBarrier barrier;
  private final String what;

  /**
   * @param barrier what the consumer waits on; alerted by {@link #halt}
   * @param what names the consumer in the "already running" error
   */
  RingProcessor(SequenceBarrier barrier, String what) {
    this.barrier = barrier;
    this.what = what;
  }

  @Override
  public final Sequence getSequence() {
    return sequence;
  }

  @Override
  public final void halt() {
    running.set(HALTED);
    barrier.alert();
  }

  @Override
  public final boolean isRunning() {
    return running.get() != IDLE;
  }

  /** True from the start of {@link #run} until a halt or the end. */
  protected final boolean running() {
    return running.get() == RUNNING;
  }

  /** Marks the consumer stopped (idle), e.g. before its last words. */
  protected final void stopped() {
    running.set(IDLE);
  }

  @Override
  public final void run() {
    int was = running.compareAndExchange(IDLE, RUNNING);
    if (was == RUNNING) {
      throw new IllegalStateException(what + " is already running");
    }
    barrier.clearAlert();
    starting();
    try {
      // a halt between the exchange and clearAlert() set HALTED; its alert was just cleared
      if (was == IDLE && running()) {
        consume();
      }
    } finally {
      try {
        stopping();
      } finally {
        stopped();
      }
    }
  }

  /** On the consumer's thread, before it consumes. */
  protected abstract void starting();

  /** Consumes until {@link #running()} turns false. */
  protected abstract void consume();

  /** On the consumer's thread, after it consumed; {@link #stopped()} follows. */
  protected abstract void stopping();
}
