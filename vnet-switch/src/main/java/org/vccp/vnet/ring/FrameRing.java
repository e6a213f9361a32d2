package org.vccp.vnet.ring;

import com.lmax.disruptor.BatchEventProcessorBuilder;
import com.lmax.disruptor.EventHandler;
import com.lmax.disruptor.ExceptionHandler;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.dsl.Disruptor;
import com.lmax.disruptor.dsl.EventProcessorFactory;
import com.lmax.disruptor.dsl.ProducerType;
import io.netty.buffer.ByteBuf;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The switch's single serialisation point: a Disruptor ring of preallocated {@link FrameSlot}s.
 * Ingress threads claim a slot, copy the frame in, and publish; control commands travel through the
 * same ring so they take effect between two precise frames. Consumers run on their own threads in
 * the order they are given. The first (the forwarder) waits for frames with the configured wait
 * strategy; the others (the recorder) trail it through a {@link TrailingBarrier}, which sleeps
 * instead of spinning, because their lag costs no latency.
 */
public final class FrameRing implements AutoCloseable {
  /** The largest Ethernet frame the switch carries (QEMU's stream limit). */
  public static final int MAX_FRAME_BYTES = 65_535;

  private static final Logger LOG = LoggerFactory.getLogger(FrameRing.class);

  private final Disruptor<FrameSlot> disruptor;
  private final RingBuffer<FrameSlot> ring;
  private volatile boolean started;
  private volatile boolean stampIngress;
  private final com.lmax.disruptor.WaitStrategy waitStrategy;

  /** The forwarder, when ingress threads may run it themselves; else null. */
  private final ForwardingProcessor inline;

  /** Where each {@link TrailingProcessor} learns which slots are commands. */
  private final java.util.List<java.util.Set<Long>> commandLogs =
      new java.util.concurrent.CopyOnWriteArrayList<>();

  /** The trailing consumers whose sequence the forwarder moves while they read only commands. */
  private final java.util.List<TrailingProcessor> commandReaders =
      new java.util.concurrent.CopyOnWriteArrayList<>();

  /** The barriers of the trailing consumers, to wake them ({@link TrailingBarrier#wake}). */
  private final java.util.List<TrailingBarrier> trailingBarriers =
      new java.util.concurrent.CopyOnWriteArrayList<>();

  /** The barriers of trailing consumers that are not {@link TrailingConsumer}s. */
  private final java.util.List<TrailingBarrier> plainTrailingBarriers =
      new java.util.concurrent.CopyOnWriteArrayList<>();

  /**
   * @param slots ring size, a power of two
   * @param inlineBytes bytes preallocated per slot
   * @param maxPorts the most egress ports one frame can have
   */
  @SafeVarargs
  public FrameRing(
      int slots,
      int inlineBytes,
      int maxPorts,
      WaitStrategyName waitStrategy,
      EventHandler<FrameSlot>... consumersInOrder) {
    this(slots, inlineBytes, maxPorts, waitStrategy, false, consumersInOrder);
  }

  /**
   * @param inlineForwarding whether an ingress thread that publishes into an idle ring forwards its
   *     frames itself ({@link ForwardingProcessor}) instead of waking the forwarder thread
   */
  @SuppressWarnings("unchecked")
  public FrameRing(
      int slots,
      int inlineBytes,
      int maxPorts,
      WaitStrategyName waitStrategy,
      boolean inlineForwarding,
      EventHandler<FrameSlot>... consumersInOrder) {
    int[] started = {0};
    ThreadFactory threads =
        r -> {
          // consumers start in the order given: the forwarder first, then the recorder
          int n = started[0]++;
          Thread t =
              new Thread(
                  r, n == 0 ? "vccp-forwarder" : n == 1 ? "vccp-recorder" : "vccp-consumer-" + n);
          t.setDaemon(true);
          return t;
        };
    this.waitStrategy = waitStrategy.create();
    InlineWait inlineWait = inlineForwarding ? new InlineWait(this.waitStrategy) : null;
    this.disruptor =
        new Disruptor<>(
            () -> new FrameSlot(inlineBytes, maxPorts),
            slots,
            threads,
            ProducerType.MULTI,
            inlineWait != null ? inlineWait : this.waitStrategy);
    this.ring = disruptor.getRingBuffer();
    this.inline =
        inlineWait == null
            ? null
            : new ForwardingProcessor(
                ring,
                inlineWait,
                consumersInOrder[0],
                new LoggingExceptionHandler(),
                this::forwarderPassed);
    var group =
        inline != null
            ? disruptor.handleEventsWith(inline)
            : disruptor.handleEventsWith(new ReportingPasses(consumersInOrder[0]));
    for (int i = 1; i < consumersInOrder.length; i++) {
      EventHandler<FrameSlot> trailing = consumersInOrder[i];
      EventProcessorFactory<FrameSlot> behind =
          (ring, trailed) -> {
            // the DSL's default handler is not applied to processors built by a factory
            if (trailing instanceof TrailingConsumer t) {
              var barrier = new TrailingBarrier(trailed);
              var p = new TrailingProcessor(ring, barrier, t, new LoggingExceptionHandler());
              commandLogs.add(p.commands);
              trailingBarriers.add(barrier);
              commandReaders.add(p);
              return p;
            }
            var barrier = new TrailingBarrier(trailed);
            trailingBarriers.add(barrier);
            plainTrailingBarriers.add(barrier);
            var p = new BatchEventProcessorBuilder().build(ring, barrier, trailing);
            p.setExceptionHandler(new LoggingExceptionHandler());
            return p;
          };
      group = group.then(behind);
    }
    disruptor.setDefaultExceptionHandler(new LoggingExceptionHandler());
  }

  public void start() {
    disruptor.start();
    started = true;
  }

  /**
   * Copies a frame from {@code src} into the next slot and publishes it. Blocks (spinning) only
   * while the ring is full, which the consumers never cause for long.
   */
  public void publishFrame(int ingressPortId, ByteBuf src, int index, int length) {
    long seq = claim(1);
    boolean filled = false;
    try {
      src.getBytes(index, fill(seq, FrameSlot.KIND_FRAME, ingressPortId, length), 0, length);
      filled = true;
    } finally {
      publish(seq, seq, filled ? seq + 1 : seq);
    }
  }

  /**
   * Copies {@code count} frames of {@code src} (frame {@code i}: {@code lengths[i]} bytes at {@code
   * indexes[i]}) into consecutive slots and publishes them together: one claim and one consumer
   * wake-up for the lot instead of one per frame, which at 64 bytes was most of an I/O thread's
   * per-frame cost. While recording, the frames of one batch share one ingress timestamp (they
   * arrived in one read).
   */
  public void publishFrames(
      int ingressPortId, ByteBuf src, int[] indexes, int[] lengths, int count) {
    publishFrames(ingressPortId, src, indexes, lengths, null, count);
  }

  /**
   * Same as {@link #publishFrames(int, ByteBuf, int[], int[], int)}, each frame with the work it
   * still owes ({@code offloads[i]}, see {@link org.vccp.vnet.frame.Offload}; null: none owe any).
   */
  public void publishFrames(
      int ingressPortId, ByteBuf src, int[] indexes, int[] lengths, long[] offloads, int count) {
    int most = Math.max(1, ring.getBufferSize() / 4);
    for (int done = 0; done < count; ) {
      int n = Math.min(count - done, most);
      long hi = claim(n);
      long lo = hi - (n - 1);
      long now = stampIngress ? System.nanoTime() : 0L;
      int filled = 0;
      try {
        for (int i = 0; i < n; i++) {
          int f = done + i;
          src.getBytes(
              indexes[f],
              fill(lo + i, FrameSlot.KIND_FRAME, ingressPortId, lengths[f], now),
              0,
              lengths[f]);
          if (offloads != null) {
            ring.get(lo + i).offload = offloads[f];
          }
          filled++;
        }
      } finally {
        publish(lo, hi, lo + filled);
      }
      done += n;
    }
  }

  /** Same as {@link #publishFrame(int, ByteBuf, int, int)} for a frame in an array. */
  public void publishFrame(int ingressPortId, byte[] src, int offset, int length) {
    long seq = claim(1);
    boolean filled = false;
    try {
      System.arraycopy(
          src, offset, fill(seq, FrameSlot.KIND_FRAME, ingressPortId, length), 0, length);
      filled = true;
    } finally {
      publish(seq, seq, filled ? seq + 1 : seq);
    }
  }

  /**
   * Publishes a frame that its port refused before forwarding (too short or too long), so that the
   * recorder can write the drop with its reason. At most {@code maxBytes} of it are kept.
   */
  public void publishDropped(
      int ingressPortId, int dropReason, ByteBuf src, int index, int length, int maxBytes) {
    long seq = claim(1);
    boolean filled = false;
    try {
      int kept = Math.min(length, maxBytes);
      src.getBytes(index, fill(seq, FrameSlot.KIND_DROPPED, ingressPortId, kept), 0, kept);
      ring.get(seq).dropReason = dropReason;
      filled = true;
    } finally {
      publish(seq, seq, filled ? seq + 1 : seq);
    }
  }

  /**
   * Recording on or off. On, ingress threads stamp each frame with {@link System#nanoTime()} (off,
   * the hot path skips the clock read), and the default forwarder wait sleeps at once instead of
   * spinning first ({@link PhasedWait}), leaving the CPU to the recorder.
   */
  public void stampIngress(boolean on) {
    stampIngress = on;
    if (waitStrategy instanceof PhasedWait p) {
      p.sleepAtOnce(on); // recording: the recorder limits the ring; let it have the CPU
    }
  }

  /** Publishes a control command; consumers see it in order with the frames around it. */
  public void publishCommand(Object command) {
    long seq = claim(1);
    for (java.util.Set<Long> log : commandLogs) {
      log.add(seq);
    }
    try {
      fill(seq, FrameSlot.KIND_COMMAND, -1, 0);
      ring.get(seq).command = command;
    } finally {
      ring.publish(seq);
    }
    wakeTrailing();
  }

  /** The forwarder has passed every slot up to {@code done}. */
  private void forwarderPassed(long done) {
    for (TrailingProcessor t : commandReaders) {
      t.forwarderPassed(done);
    }
  }

  /** How many times the trailing consumers' threads have looked at the ring (for tests). */
  long trailingRounds() {
    return commandReaders.stream().mapToLong(TrailingProcessor::rounds).sum();
  }

  /** Trailing consumers sleep long while they read only commands; this cuts the sleep short. */
  private void wakeTrailing() {
    for (TrailingBarrier b : trailingBarriers) {
      b.wake();
    }
  }

  /**
   * Claims the next {@code n} slots, waiting while the ring has no room for them. Disruptor's
   * {@code next(n)} moves the cursor first and waits for room after, so while a producer waited for
   * the last consumer (the recorder, while recording) the forwarder saw slots claimed but not
   * published and busy-looped over them, whatever its wait strategy: a whole core on a two-core
   * machine, taken from the recorder it was waiting for. {@code tryNext} moves the cursor only once
   * there is room, so the forwarder waits in its strategy instead.
   */
  private long claim(int n) {
    if (inline != null && inline.isForwarding()) {
      // it would wait for room that only this thread, forwarding, can make
      throw new IllegalStateException("the forwarder must not publish into its own ring");
    }
    while (true) {
      try {
        return ring.tryNext(n);
      } catch (com.lmax.disruptor.InsufficientCapacityException full) {
        // a trailing consumer may be asleep with room to give back: wake it on every try, so a
        // wake-up it took before the forwarder got ahead cannot leave the ring full for its sleep
        for (TrailingBarrier b : plainTrailingBarriers) {
          b.wake();
        }
        for (TrailingProcessor t : commandReaders) {
          t.wakeIfHoldingTheRing();
        }
        java.util.concurrent.locks.LockSupport.parkNanos(1); // as next(n) does when full
      }
    }
  }

  /**
   * Publishes a command unless the ring is shut down or shutting down (a port closing with the
   * switch reports its last frames after the consumers have stopped; nobody is left to read them).
   */
  public void publishCommandIfRunning(Object command) {
    if (started) {
      publishCommand(command);
    }
  }

  /**
   * Publishes the claimed slots {@code lo..hi}; those from {@code firstUnfilled} on, which an
   * exception left half-written (stale bytes, or last lap's command), become {@link
   * FrameSlot#KIND_EMPTY} so that no consumer acts on them.
   */
  private void publish(long lo, long hi, long firstUnfilled) {
    for (long s = firstUnfilled; s <= hi; s++) {
      FrameSlot slot = ring.get(s);
      slot.kind = FrameSlot.KIND_EMPTY;
      slot.command = null;
      slot.length = 0;
    }
    if (inline == null || !inline.tryEnter(lo)) {
      ring.publish(lo, hi);
      return;
    }
    try {
      ring.publish(lo, hi); // signals nobody: this thread forwards them
      inline.forwardOwn(hi);
    } finally {
      inline.leave();
    }
  }

  /** Sets a claimed slot's header and returns its buffer, able to hold {@code length} bytes. */
  private byte[] fill(long seq, int kind, int ingressPortId, int length) {
    return fill(seq, kind, ingressPortId, length, stampIngress ? System.nanoTime() : 0L);
  }

  private byte[] fill(long seq, int kind, int ingressPortId, int length, long receivedNs) {
    FrameSlot slot = ring.get(seq);
    slot.kind = kind;
    slot.ingressPortId = ingressPortId;
    slot.length = length;
    slot.command = null;
    slot.offload = 0;
    slot.receivedNs = receivedNs;
    return length > 0 ? slot.ensureCapacity(length) : slot.data;
  }

  public boolean isStarted() {
    return started;
  }

  public int size() {
    return ring.getBufferSize();
  }

  /** Slots published but not yet consumed by every consumer. */
  public long backlog() {
    return ring.getBufferSize() - ring.remainingCapacity();
  }

  @Override
  public void close() {
    if (!started) {
      return;
    }
    started = false;
    // an idle trailing consumer may sleep up to 100 ms a few slots behind the forwarder; shutdown
    // waits until every consumer has caught up, so keep waking it until the ring is drained
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (backlog() > 0 && System.nanoTime() - deadline < 0) {
      wakeTrailing();
      java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
    }
    try {
      disruptor.shutdown(
          Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS); // 5 s in all
    } catch (com.lmax.disruptor.TimeoutException e) {
      LOG.warn("frame ring did not drain within 5 s at shutdown; halting");
      disruptor.halt();
    }
  }

  /**
   * The forwarder as Disruptor's batch processor runs it (forwarding on ingress off), telling the
   * ring at the end of each batch how far it has got.
   */
  private final class ReportingPasses implements EventHandler<FrameSlot> {
    private final EventHandler<FrameSlot> forwarder;

    /** The batch processor's sequence, which it would set only after this returns. */
    private com.lmax.disruptor.Sequence processed;

    ReportingPasses(EventHandler<FrameSlot> forwarder) {
      this.forwarder = forwarder;
    }

    @Override
    public void setSequenceCallback(com.lmax.disruptor.Sequence sequence) {
      processed = sequence;
      forwarder.setSequenceCallback(sequence);
    }

    @Override
    public void onEvent(FrameSlot slot, long sequence, boolean endOfBatch) throws Exception {
      try {
        forwarder.onEvent(slot, sequence, endOfBatch);
      } finally {
        if (endOfBatch) {
          if (processed != null) {
            processed.set(sequence); // done with the batch: what a trailing consumer may pass
          }
          forwarderPassed(sequence);
        }
      }
    }

    @Override
    public void onBatchStart(long batchSize, long queueDepth) {
      forwarder.onBatchStart(batchSize, queueDepth);
    }

    @Override
    public void onStart() {
      forwarder.onStart();
    }

    @Override
    public void onShutdown() {
      forwarder.onShutdown();
    }

    @Override
    public void onTimeout(long sequence) throws Exception {
      forwarder.onTimeout(sequence);
    }
  }

  private static final class LoggingExceptionHandler implements ExceptionHandler<FrameSlot> {
    @Override
    public void handleEventException(Throwable ex, long sequence, FrameSlot slot) {
      LOG.error("consumer failed on slot {} (kind {}); frame skipped", sequence, slot.kind, ex);
    }

    @Override
    public void handleOnStartException(Throwable ex) {
      LOG.error("consumer failed to start", ex);
    }

    @Override
    public void handleOnShutdownException(Throwable ex) {
      LOG.error("consumer failed to shut down", ex);
    }
  }
}
