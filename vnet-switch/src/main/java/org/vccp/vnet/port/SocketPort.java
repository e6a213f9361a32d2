package org.vccp.vnet.port;

import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vccp.vnet.ring.FrameRing;
import org.vccp.vnet.status.Counters;
import org.vccp.vnet.status.PortCounter;

/**
 * What every Netty socket port shares: one event loop for the port's whole life, the egress queue
 * and its drain scheduling (at most one drain task pending, however many batches asked), the
 * lossless "writable" signal, and backpressure as {@code autoRead} on the current channel.
 * Subclasses say how to drain and which channel carries data now.
 *
 * <p>The egress queue has two possible consumers: the event loop (drain, discard) and, for a port
 * that can write its socket directly ({@link #writeDirect()}), the forwarder itself, which then
 * skips the hand-off to the I/O thread when the socket has room. Only one consumes at a time: each
 * takes {@link #consumer} first. The forwarder only tries, never waits; the event loop retries a
 * drain that found the forwarder writing (it holds the queue for one non-blocking write).
 */
public abstract class SocketPort implements Port {
  private static final Logger LOG = LoggerFactory.getLogger(SocketPort.class);

  protected final int id;
  protected final PortSpec spec;
  protected final EventLoop loop;
  protected final FrameRing ring;
  protected final int maxFrameBytes;
  protected final EgressQueue egress;
  protected final Counters counters = Counters.forPort();
  private final AtomicBoolean drainScheduled = new AtomicBoolean();

  private static final int IDLE = 0;
  private static final int FORWARDER = 1;
  private static final int LOOP = 2;

  /** Who consumes the egress queue now: {@link #IDLE}, {@link #FORWARDER} or {@link #LOOP}. */
  private final AtomicInteger consumer = new AtomicInteger(IDLE);

  private final Runnable drainTask = this::runDrain;
  private volatile Runnable writableSignal;
  private volatile boolean ingressPaused;

  protected SocketPort(
      int id, PortSpec spec, PortIo io, FrameRing ring, int maxFrameBytes, int egressQueueBytes) {
    this.id = id;
    this.spec = spec;
    this.loop = io.nextLoop();
    this.ring = ring;
    this.maxFrameBytes = maxFrameBytes;
    this.egress = new EgressQueue(egressQueueBytes);
  }

  /** Binds (listen, datagram) or starts dialing (connect); throws {@link PortBindException}. */
  public abstract void open();

  /** The channel frames are read from and written to now, or null. */
  protected abstract Channel dataChannel();

  @Override
  public long unsentBytes() {
    long n = egress.bytesQueued();
    Channel ch = dataChannel();
    if (ch != null) {
      io.netty.channel.ChannelOutboundBuffer out = ch.unsafe().outboundBuffer();
      if (out != null) {
        n += out.totalPendingWriteBytes();
      }
      n += SocketQueues.sendQueueBytes(ch);
    }
    return n;
  }

  @Override
  public java.util.concurrent.CompletableFuture<Void> syncIngress() {
    java.util.concurrent.CompletableFuture<Void> done =
        new java.util.concurrent.CompletableFuture<>();
    loop.execute(() -> done.complete(null));
    return done;
  }

  /** Writes queued frames to the peer; runs on {@link #loop}. */
  protected abstract void drain();

  /**
   * Forwarder thread, end of a batch: writes what is queued straight to the socket if that can be
   * done now without blocking and without passing anything the event loop still has to write.
   *
   * @return true when the queue is empty afterwards; false leaves the rest to a drain
   */
  protected boolean writeDirect() {
    return false;
  }

  private void runDrain() {
    drainScheduled.set(false);
    if (!consumer.compareAndSet(IDLE, LOOP)) {
      // the forwarder is in one non-blocking write; come back right after it
      scheduleDrain();
      return;
    }
    try {
      drain();
    } finally {
      consumer.set(IDLE);
    }
    fireWritableSignalIfRoom();
  }

  private void scheduleDrain() {
    if (drainScheduled.compareAndSet(false, true)) {
      loop.execute(drainTask);
    }
  }

  /** Runs the lossless signal once the queue has drained below half. Event loop only. */
  protected final void fireWritableSignalIfRoom() {
    Runnable s = writableSignal;
    if (s != null && egress.bytesQueued() <= egress.capacityBytes() / 2) {
      LOG.debug(
          "port {}: egress drained to {} bytes; signalling the forwarder",
          spec.name(),
          egress.bytesQueued());
      writableSignal = null;
      s.run();
    }
  }

  /**
   * Drops everything queued for a peer that is gone, counting it as {@code drop_no_port}. Event
   * loop only.
   */
  protected final int discardQueued() {
    return discard(true);
  }

  /**
   * Drops everything queued, counting it as {@code drop_no_port} if {@code count}. Event loop only:
   * takes the queue from the forwarder (waiting out one write) unless a drain holds it.
   */
  protected final int discard(boolean count) {
    boolean held = consumer.get() == LOOP; // only this thread ever sets LOOP
    if (!held) {
      while (!consumer.compareAndSet(IDLE, LOOP)) {
        Thread.onSpinWait();
      }
    }
    try {
      int lost = egress.discardAll();
      if (lost > 0 && count) {
        counters.addShared(PortCounter.DROP_NO_PORT, lost);
      }
      return lost;
    } finally {
      if (!held) {
        consumer.set(IDLE);
      }
    }
  }

  /** Applies the current backpressure state to a new channel. Event loop only. */
  protected final void applyIngressState(Channel ch) {
    ch.config().setAutoRead(!ingressPaused);
  }

  protected final boolean isIngressPaused() {
    return ingressPaused;
  }

  @Override
  public final void egressReady() {
    if (consumer.compareAndSet(IDLE, FORWARDER)) {
      boolean empty;
      try {
        empty = writeDirect();
      } finally {
        consumer.set(IDLE);
      }
      if (empty) {
        if (writableSignal != null) {
          loop.execute(this::fireWritableSignalIfRoom);
        }
        return;
      }
    }
    scheduleDrain();
  }

  /** Drains now (from the event loop, e.g. when the socket becomes writable). */
  protected final void drainNow() {
    runDrain();
  }

  @Override
  public final void requestWritableSignal(Runnable signal) {
    writableSignal = signal;
    loop.execute(this::fireWritableSignalIfRoom);
  }

  @Override
  public final void pauseIngress() {
    LOG.debug("port {}: pausing ingress (backpressure)", spec.name());
    setIngressPaused(true);
  }

  @Override
  public final void resumeIngress() {
    LOG.debug("port {}: resuming ingress", spec.name());
    setIngressPaused(false);
  }

  private void setIngressPaused(boolean paused) {
    ingressPaused = paused;
    loop.execute(
        () -> {
          Channel ch = dataChannel();
          if (ch != null) {
            applyIngressState(ch);
          }
        });
  }

  @Override
  public final int id() {
    return id;
  }

  @Override
  public final String name() {
    return spec.name();
  }

  @Override
  public final PortSpec spec() {
    return spec;
  }

  @Override
  public final Counters counters() {
    return counters;
  }

  @Override
  public final EgressQueue egress() {
    return egress;
  }
}
