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
 * #commands} before publishing them, and the forwarder moves this consumer's sequence past the
 * frame slots for it ({@link #forwarderPassed}), up to the first command it has not read: so its
 * thread sleeps until a command is published. At 6 million frames/s an idle recorder that read each
 * slot woke every 20 µs (11% of a core on a two-core machine); one that moved its own sequence past
 * them still woke about 6,500 times a second to keep the ring from filling, 10–13% of a core
 * (BENCHMARKS.md).
 */
final class TrailingProcessor extends RingProcessor {
  private static final Long FIRST = Long.MIN_VALUE;

  private final RingBuffer<FrameSlot> ring;
  private final TrailingBarrier barrier;
  private final TrailingConsumer consumer;
  private final ExceptionHandler<FrameSlot> exceptions;

  /**
   * How far behind the forwarder this consumer's sequence may fall before the forwarder moves it: a
   * compare-and-set on the line every producer reads, once per this many slots, not per batch.
   */
  private final long passStep;

  /** Sequences of command slots not yet read, noted before they are published. */
  final NavigableSet<Long> commands = new ConcurrentSkipListSet<>();

  /**
   * True while the consumer reads only commands: then the forwarder moves {@link #sequence}. Set
   * false before the command that turned frames on leaves {@link #commands}, so a forwarder that no
   * longer sees that command also sees this. False until the consumer first waits for a command, so
   * that none of the frames a consumer wants from the start is passed for it.
   */
  private volatile boolean idle;

  /** Times the consumer's thread looked at the ring (for tests: how often it woke). */
  private volatile long rounds;

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
    this.passStep = Math.max(1, ring.getBufferSize() / 8);
  }

  /**
   * Called by the forwarder, on whichever thread forwards, once it has passed every slot up to
   * {@code done}: while the consumer reads only commands, moves its sequence up to {@code done} but
   * never onto a command it has not read. A command published after the forwarder looked at {@link
   * #commands} lies after {@code done}, since commands are noted before they are published.
   */
  void forwarderPassed(long done) {
    if (!idle || done - sequence.get() < passStep) {
      return;
    }
    Long first = commands.ceiling(FIRST);
    if (!idle) {
      return; // frames turned on: the consumer's own sequence from here on
    }
    // never past the consumer this one trails (the forwarder, unless another consumer is between)
    long limit = Math.min(done, barrier.getCursor());
    advanceTo(first == null ? limit : Math.min(limit, first - 1));
  }

  /**
   * Wakes the consumer for a producer that found the ring full, unless it cannot be what holds the
   * ring: reading only commands with none waiting, it is moved by the forwarder, which is then the
   * one behind.
   */
  void wakeIfHoldingTheRing() {
    if (!idle || !commands.isEmpty()) {
      barrier.wake();
    }
  }

  long rounds() {
    return rounds;
  }

  /** Raises the sequence to {@code seq}; the forwarder may have moved it further already. */
  private void advanceTo(long seq) {
    long current = sequence.get();
    while (current < seq && !sequence.compareAndSet(current, seq)) {
      current = sequence.get();
    }
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
    while (running()) {
      rounds++; // only this thread writes it
      long next = sequence.get() + 1;
      boolean wants = consumer.wantsFrames();
      long available;
      try {
        if (wants) {
          available = barrier.waitFor(next);
        } else {
          available = awaitCommand(next);
        }
      } catch (AlertException e) {
        if (!running()) {
          return;
        }
        continue;
      }
      if (available >= next) {
        if (wants) {
          everySlot(next, available);
        } else {
          commandsOnly(next, available);
        }
      }
    }
  }

  /**
   * Waits, reading only commands: for the forwarder to pass the first one not yet read, or, with
   * none, until one is published, a producer finds the ring full, or {@link
   * TrailingBarrier#MAX_IDLE_PARK_NS} has passed. Returns how far the forwarder has got.
   */
  private long awaitCommand(long next) throws AlertException {
    idle = true;
    // read before the log: a command at or before it was noted before the forwarder passed it
    long passed = barrier.getCursor();
    Long first = commands.ceiling(FIRST);
    if (first == null) {
      // catch up before sleeping: the forwarder's last move may have come before this consumer
      // went idle, and a producer that then finds the ring full does not wake an idle consumer
      advanceTo(passed);
      barrier.sleepUntilWoken(TrailingBarrier.MAX_IDLE_PARK_NS);
      return barrier.getCursor();
    }
    return barrier.waitFor(Math.max(first, next));
  }

  /**
   * Hands over every slot up to {@code available}, unless a command makes the consumer stop wanting
   * frames.
   */
  private void everySlot(long next, long available) {
    consumer.onBatchStart(available - next + 1, available - next + 1);
    while (next <= available) {
      if (deliver(next, next == available) && !consumer.wantsFrames()) {
        forgetCommandsUpTo(next);
        sequence.set(next);
        if (next < available) {
          idle = true;
          commandsOnly(next + 1, available);
        }
        return;
      }
      next++;
    }
    forgetCommandsUpTo(available);
    sequence.set(available);
  }

  /**
   * Hands over only the command slots up to {@code available}; if one of them makes the consumer
   * want frames, it gets every slot after that one.
   */
  private void commandsOnly(long next, long available) {
    Long c;
    // only this thread removes, and a command leaves the log only once it is read
    while ((c = commands.ceiling(FIRST)) != null && c <= available) {
      if (c >= next) {
        deliver(c, true);
        advanceTo(c);
        if (consumer.wantsFrames()) {
          idle = false;
          commands.remove(c);
          if (c < available) {
            everySlot(c + 1, available);
          }
          return;
        }
      }
      commands.remove(c);
    }
    advanceTo(available);
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
