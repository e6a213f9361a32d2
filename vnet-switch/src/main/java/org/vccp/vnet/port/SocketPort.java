package org.vccp.vnet.port;

import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vccp.vnet.ring.FrameRing;
import org.vccp.vnet.status.PortCounter;

/**
 * What every Netty socket port shares: one event loop for the port's whole life, the egress queue
 * and its drain scheduling (at most one drain task pending, however many batches asked), the
 * lossless "writable" signal, and backpressure as {@code autoRead} on the current channel.
 * Subclasses say how to drain and which channel carries data now.
 */
public abstract class SocketPort extends AbstractPort {
  private static final Logger LOG = LoggerFactory.getLogger(SocketPort.class);

  protected final EventLoop loop;
  protected final int maxFrameBytes;

  private final AtomicBoolean drainScheduled = new AtomicBoolean();
  private final Runnable drainTask = this::runDrain;
  private volatile Runnable writableSignal;
  private volatile boolean ingressPaused;

  protected SocketPort(
      int id, PortSpec spec, PortIo io, FrameRing ring, int maxFrameBytes, int egressQueueBytes) {
    super(id, spec, ring, egressQueueBytes);
    this.loop = io.nextLoop();
    this.maxFrameBytes = maxFrameBytes;
  }

  /** Binds (listen, datagram) or starts dialing (connect); throws {@link PortBindException}. */
  public abstract void open();

  /** The channel frames are read from and written to now, or null. */
  protected abstract Channel dataChannel();

  /**
   * Bytes taken from the egress queue that are not yet in the channel's or the socket's queue:
   * counted between the two, so that {@link #unsentBytes} never misses bytes in transit.
   */
  protected long takenBytes() {
    return 0;
  }

  @Override
  public long unsentBytes() {
    // in the order bytes move, so none is missed between two looks
    long n = egress.bytesQueued();
    n += takenBytes();
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

  private void runDrain() {
    drainScheduled.set(false);
    drain();
    fireWritableSignalIfRoom();
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
   * Drops everything queued for a peer that is gone, counting it as {@code drop_no_port} and
   * reporting it to the recording. Event loop only.
   */
  protected final int discardQueued() {
    int lost = egress.discardAll(unsent);
    if (lost > 0) {
      counters.addShared(PortCounter.DROP_NO_PORT, lost);
    }
    reportUnsent(PortCounter.DROP_NO_PORT);
    return lost;
  }

  /**
   * Tells the recorder, through the ring, that the frames in {@link #unsent} never left this port,
   * so the recording does not count them delivered. Event loop only (never the forwarder: the ring
   * may be full).
   */
  protected final void reportUnsent(PortCounter reason) {
    if (!unsent.isEmpty()) {
      ring.publishCommandIfRunning(unsent.takeCommand(id, reason));
    }
  }

  /** Applies the current backpressure state to a new channel. Event loop only. */
  protected final void applyIngressState(Channel ch) {
    ch.config().setAutoRead(!ingressPaused);
  }

  protected final boolean isIngressPaused() {
    return ingressPaused;
  }

  /**
   * Sends what is queued on the calling (forwarding) thread, when the port can do that cheaply and
   * without overtaking its loop's writes; true when nothing is left queued. Never by default.
   */
  protected boolean sendDirect() {
    return false;
  }

  @Override
  public final void egressReady() {
    drainLater();
  }

  /**
   * Low load: sends on the calling thread if the port can ({@link #sendDirect}). Under load the
   * forwarder thread calls {@link #egressReady()} instead, and the loop writes: while it does, the
   * forwarder goes on with the next batch (with recording on, sending directly there cost 10–20% of
   * the frames/s).
   */
  @Override
  public final void egressReadyInline() {
    if (!sendDirect()) {
      drainLater();
    }
  }

  /** Has the loop drain soon, unless a drain is pending already. Any thread. */
  protected final void drainLater() {
    if (drainScheduled.compareAndSet(false, true)) {
      loop.execute(drainTask);
    }
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
}
