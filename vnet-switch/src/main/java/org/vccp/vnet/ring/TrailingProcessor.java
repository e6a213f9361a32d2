package org.vccp.vnet.ring;

import com.lmax.disruptor.AlertException;
import com.lmax.disruptor.ExceptionHandler;
import com.lmax.disruptor.RingBuffer;
import java.util.NavigableSet;
import java.util.concurrent.ConcurrentSkipListSet;

/**
 * Runs a {@link TrailingConsumer} behind the forwarder. While the consumer wants every slot it
 * works like Disruptor's batch processor. While it does not (the recorder with recording off), it
 * reads only the command slots, whose sequences {@link FrameRing#publishCommand} notes in {@link
 * #commands} before publishing them, and passes every frame slot untouched: at 6 million frames/s
 * the idle recorder read each slot only to find it had nothing to do, and woke every 20 µs: 11% of
 * a core on a two-core machine (BENCHMARKS.md).
 */
final class TrailingProcessor extends RingProcessor {
  private final RingBuffer<FrameSlot> ring;
  private final TrailingBarrier barrier;
  private final TrailingConsumer consumer;
  private final ExceptionHandler<FrameSlot> exceptions;

  /** Sequences of command slots not yet passed, noted before they are published. */
  final NavigableSet<Long> commands = new ConcurrentSkipListSet<>();

  TrailingProcessor(
      RingBuffer<FrameSlot> ring,
      TrailingBarrier barrier,
      TrailingConsumer consumer,
      ExceptionHandler<FrameSlot> exceptions) {
    super(barrier, "the trailing consumer");
    this.ring = ring;
    this.barrier = barrier;
    this.consumer = consumer;
    this.exceptions = exceptions;
  }

  @Override
  protected void starting() {
    consumer.onStart();
  }

  @Override
  protected void stopping() {
    consumer.onShutdown();
  }

  @Override
  protected void consume() {
    long next = sequence.get() + 1;
    while (running()) {
      long available;
      try {
        barrier.follow(consumer.wantsFrames(), ring.getBufferSize());
        available = barrier.waitFor(next);
      } catch (AlertException e) {
        if (!running()) {
          return;
        }
        continue;
      }
      next = consumer.wantsFrames() ? everySlot(next, available) : commandsOnly(next, available);
    }
  }

  /**
   * Hands over every slot up to {@code available}, unless a command makes the consumer stop wanting
   * frames; returns the next sequence to wait for.
   */
  private long everySlot(long next, long available) {
    consumer.onBatchStart(available - next + 1, available - next + 1);
    while (next <= available) {
      if (deliver(next, next == available) && !consumer.wantsFrames()) {
        forgetCommandsUpTo(next);
        sequence.set(next);
        return next < available ? commandsOnly(next + 1, available) : next + 1;
      }
      next++;
    }
    forgetCommandsUpTo(available);
    sequence.set(available);
    return available + 1;
  }

  /**
   * Hands over only the command slots up to {@code available}; if one of them makes the consumer
   * want frames, it gets every slot after that one.
   */
  private long commandsOnly(long next, long available) {
    // only this thread removes, so a non-empty set stays non-empty until it does
    while (!commands.isEmpty() && commands.first() <= available) {
      long c = commands.pollFirst();
      if (c < next) {
        continue;
      }
      deliver(c, true);
      sequence.set(c);
      if (consumer.wantsFrames()) {
        return c < available ? everySlot(c + 1, available) : c + 1;
      }
    }
    sequence.set(available);
    return available + 1;
  }

  /** Hands over one slot; returns whether it was a command. */
  private boolean deliver(long seq, boolean endOfBatch) {
    FrameSlot slot = ring.get(seq);
    boolean command = slot.kind == FrameSlot.KIND_COMMAND;
    try {
      consumer.onEvent(slot, seq, endOfBatch);
    } catch (Throwable e) {
      exceptions.handleEventException(e, seq, slot);
    }
    return command;
  }

  private void forgetCommandsUpTo(long seq) {
    if (!commands.isEmpty()) {
      commands.headSet(seq, true).clear();
    }
  }
}
