package org.vccp.vnet.ring;

import com.lmax.disruptor.AlertException;
import com.lmax.disruptor.EventHandler;
import com.lmax.disruptor.ExceptionHandler;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.SequenceBarrier;
import com.lmax.disruptor.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongConsumer;

/**
 * Runs the ring's first consumer (the forwarder) on its own thread, and also, when the ring is
 * idle, on the ingress thread that has just published: run to completion.
 *
 * <p>A frame handed from an ingress thread to a sleeping forwarder thread pays a wake-up (a futex
 * and a context switch, 20–100 µs at the tail on two vCPUs) before it is even looked at; QEMU's hub
 * and the kernel's bridge forward on the thread that read the frame. So an ingress thread that
 * publishes while every earlier slot has been forwarded takes the forwarder's <em>role</em> (a lock
 * that makes whoever holds it the only one running the forwarder) and forwards its own frames at
 * once, without signalling the forwarder thread. Under load the ring has a backlog, ingress threads
 * publish and signal as before, and the forwarder thread works through it in batches: a pipeline
 * across cores. Slots are still forwarded one at a time in ring order, whichever thread does it, so
 * the order every other part relies on (hold, commands, the recorder trailing this sequence) is the
 * same.
 *
 * <p>The rule that keeps a slot from being forgotten: a producer that holds the role forwards its
 * own slots before it lets go, and every other publish signals the forwarder thread (the wait
 * strategy's signal, which {@link InlineWait} skips only for the role's holder). After letting go,
 * a holder signals if anything was claimed meanwhile. An ingress thread forwards only its own
 * frames, never commands (they may touch the disk: hold queues), and not while the forwarder's
 * {@link InlineGuard} says no (while ports are held for a checkpoint). A thread holding the role
 * must never publish: the ring may be full, and only the role's holder can free it.
 */
final class ForwardingProcessor extends RingProcessor {
  private final RingBuffer<FrameSlot> ring;
  private final SequenceBarrier barrier;
  private final EventHandler<FrameSlot> handler;
  private final InlineGuard guard;
  private final ExceptionHandler<FrameSlot> exceptions;
  private final InlineWait wait;
  private final ReentrantLock role;
  private final LongConsumer passed;

  /**
   * @param passed told, on the forwarding thread, how far the forwarder has got after each batch
   */
  ForwardingProcessor(
      RingBuffer<FrameSlot> ring,
      InlineWait wait,
      EventHandler<FrameSlot> handler,
      ExceptionHandler<FrameSlot> exceptions,
      LongConsumer passed) {
    this(ring, ring.newBarrier(), wait, handler, exceptions, passed);
  }

  private ForwardingProcessor(
      RingBuffer<FrameSlot> ring,
      SequenceBarrier barrier,
      InlineWait wait,
      EventHandler<FrameSlot> handler,
      ExceptionHandler<FrameSlot> exceptions,
      LongConsumer passed) {
    super(barrier, "the forwarder");
    this.passed = passed;
    this.ring = ring;
    this.wait = wait;
    this.role = wait.role();
    this.barrier = barrier;
    this.handler = handler;
    this.guard = handler instanceof InlineGuard g ? g : () -> true;
    this.exceptions = exceptions;
  }

  @Override
  protected void starting() {
    wait.ownedBy(Thread.currentThread());
    handler.onStart();
  }

  @Override
  protected void stopping() {
    role.lock(); // an ingress thread may still be forwarding
    try {
      stopped(); // none starts after this
      handler.onShutdown();
    } finally {
      role.unlock();
    }
  }

  @Override
  protected void consume() {
    while (running()) {
      long next = sequence.get() + 1;
      long available;
      try {
        available = barrier.waitFor(next);
        wait.sleepFirst(false);
      } catch (AlertException e) {
        if (!running()) {
          return;
        }
        continue;
      } catch (TimeoutException e) {
        continue;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      if (available < next) {
        continue; // claimed, not yet published
      }
      boolean forwarded = false;
      if (role.tryLock()) {
        try {
          forwarded = forwardUpTo(available) > 0;
        } finally {
          role.unlock();
        }
      } else {
        // an ingress thread is forwarding; it lets go within one batch. Queuing on the lock
        // instead would make its unlock a futex wake-up on the forwarding path.
        while (role.isLocked() && sequence.get() < available) {
          Thread.yield();
        }
      }
      // woken for slots an ingress thread forwarded: no load for this thread, so sleep next time
      wait.sleepFirst(!forwarded);
    }
  }

  /**
   * True when this thread may forward slots from {@code lo} itself: the forwarder runs and every
   * slot before {@code lo} has been forwarded. Then it must call {@link #forwardOwn} after
   * publishing, and {@link #leave()} after that.
   */
  boolean tryEnter(long lo) {
    return running() && sequence.get() == lo - 1 && guard.allowsInline() && role.tryLock();
  }

  /**
   * Forwards this thread's own slots, up to {@code hi}, which it has just published. Only between
   * {@link #tryEnter} and {@link #leave}. Slots published by others after them (commands among
   * them, which may touch the disk) are left to the forwarder thread, which they signalled.
   */
  void forwardOwn(long hi) {
    guard.forwardingInline(true);
    long n;
    try {
      n = forwardUpTo(hi);
    } finally {
      guard.forwardingInline(false);
    }
    if (n > 0) {
      guard.forwardedInline(n);
    }
  }

  /** Whether the calling thread is forwarding now (and so must not publish). */
  boolean isForwarding() {
    return role.isHeldByCurrentThread();
  }

  /** Gives the role back, and wakes the forwarder thread if slots were published meanwhile. */
  void leave() {
    role.unlock();
    if (ring.getCursor() > sequence.get()) {
      wait.signalAllWhenBlocking();
    }
  }

  /**
   * Forwards the slots after {@link #sequence} up to {@code available} and returns how many; 0 when
   * there were none (another thread forwarded them). Role held.
   */
  private long forwardUpTo(long available) {
    long next = sequence.get() + 1;
    if (next > available) {
      return 0;
    }
    long done = next - 1;
    try {
      try {
        handler.onBatchStart(available - next + 1, available - next + 1);
      } catch (Throwable e) {
        exceptions.handleEventException(e, next, ring.get(next));
      }
      for (long s = next; s <= available; s++) {
        FrameSlot slot = ring.get(s);
        try {
          handler.onEvent(slot, s, s == available);
        } catch (Throwable e) {
          exceptions.handleEventException(e, s, slot);
        }
        done = s;
      }
    } finally {
      sequence.set(done); // even if the exception handler threw: never forward a slot twice
    }
    passed.accept(done);
    return available - next + 1;
  }
}
