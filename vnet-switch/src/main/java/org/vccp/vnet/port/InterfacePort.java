package org.vccp.vnet.port;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vccp.vnet.forwarding.SwitchCommand;
import org.vccp.vnet.ring.FrameRing;
import org.vccp.vnet.status.PortCounter;

/**
 * What the two kinds of port on a Linux interface share (libpcap, {@code pcap=IF}; a packet socket
 * with offloads, {@code pcap=IF,offload}): one ingress thread of the subclass's own that reads the
 * interface into the ring, and sending on the forwarder thread itself at the end of each batch,
 * straight from the {@link EgressQueue} into the interface, because a packet-socket send hands the
 * frame to the interface and never waits for a peer. Subclasses open and close the interface and
 * supply the {@link Sender} that injects one frame; the send lock keeps a closing subclass from
 * closing its handle under a send.
 */
public abstract class InterfacePort extends AbstractPort {
  private static final Logger LOG = LoggerFactory.getLogger(InterfacePort.class);
  private static final int SEND_BATCH = 256;

  /**
   * The forwarder sends under the read lock; whoever replaces or closes the interface handle holds
   * the write lock, so a send never runs on a closed handle.
   */
  protected final ReentrantReadWriteLock sendLock = new ReentrantReadWriteLock();

  protected volatile Thread ingressThread;
  protected volatile boolean running;
  protected volatile boolean linkUp;
  protected volatile boolean ingressPaused;
  protected volatile String state = "closed";
  private volatile Runnable writableSignal;

  protected InterfacePort(int id, PortSpec spec, FrameRing ring, int egressQueueBytes) {
    super(id, spec, ring, egressQueueBytes);
  }

  /** The interface this port is attached to. */
  public String device() {
    return spec.device();
  }

  /**
   * The ingress thread's staging area: frames copied out of the interface back to back, then moved
   * into the ring in one claim and counted.
   */
  protected final class IngressBatch {
    /** The frames' bytes; a frame is copied at {@link #used()}. */
    public final byte[] data;

    private final ByteBuf buf;
    private final int[] indexes;
    private final int[] lengths;
    private final long[] offloads;
    private int count;
    private int used;
    private long bytes;

    /**
     * @param withOffloads whether frames carry offload words ({@link #add}'s {@code offload})
     */
    public IngressBatch(int dataBytes, int maxFrames, boolean withOffloads) {
      data = new byte[dataBytes];
      buf = Unpooled.wrappedBuffer(data);
      indexes = new int[maxFrames];
      lengths = new int[maxFrames];
      offloads = withOffloads ? new long[maxFrames] : null;
    }

    /** Where the next frame (or what precedes it) is copied. */
    public int used() {
      return used;
    }

    /** Whether {@code bytes} more fit after {@link #used()}. */
    public boolean hasRoom(long bytes) {
      return used + bytes <= data.length;
    }

    /**
     * Takes the frame of {@code length} bytes copied at {@link #used()} + {@code skip} (bytes
     * before it, such as a virtio-net header, are not part of it).
     */
    public void add(int skip, int length, long offload) {
      indexes[count] = used + skip;
      lengths[count] = length;
      if (offloads != null) {
        offloads[count] = offload;
      }
      count++;
      used += skip + length;
      bytes += length;
    }

    /** Counts and publishes the frames taken, if any, and empties the batch. */
    public void publish() {
      if (count > 0) {
        counters.add(PortCounter.RX_FRAMES, count);
        counters.add(PortCounter.RX_BYTES, bytes);
        ring.publishFrames(id, buf, indexes, lengths, offloads, count);
      }
      count = 0;
      used = 0;
      bytes = 0;
    }
  }

  /** The handler that injects each queued frame. Forwarder thread only. */
  protected abstract Sender sender();

  /** Injects queued frames one at a time and counts them; a refused frame is never retried. */
  protected abstract class Sender implements EgressQueue.FrameHandler {
    private boolean warned;
    private int frames;
    private long bytes;

    /** Counts a frame the interface took. */
    protected final void sent(int length) {
      frames++;
      bytes += length;
    }

    /** Counts a frame the interface refused, for the recording too, and says so once. */
    protected final void refused(int length, String why, long packetId, int fromPort) {
      counters.increment(PortCounter.DROP_SEND_ERROR);
      unsent.add(packetId, fromPort, length);
      if (!warned) {
        warned = true;
        LOG.warn(
            "port {}: interface {} refused a {}-byte frame: {}; counted as drop_send_error",
            spec.name(),
            spec.device(),
            length,
            why);
      }
    }

    final void publishCounts() {
      if (frames > 0) {
        counters.add(PortCounter.TX_FRAMES, frames);
        counters.add(PortCounter.TX_BYTES, bytes);
        frames = 0;
        bytes = 0;
      }
    }
  }

  /** Forwarder thread: injects everything queued for this port, then counts it. */
  @Override
  public final void egressReady() {
    if (!running) {
      int lost = egress.discardAll(unsent);
      if (lost > 0) {
        counters.addShared(PortCounter.DROP_NO_PORT, lost);
      }
      reportUnsent(PortCounter.DROP_NO_PORT);
      return;
    }
    Sender sender = sender();
    sendLock.readLock().lock();
    try {
      while (egress.drain(sender, SEND_BATCH) > 0) {
        sender.publishCounts();
      }
    } finally {
      sendLock.readLock().unlock();
    }
    reportUnsent(PortCounter.DROP_SEND_ERROR);
    Runnable signal = writableSignal;
    if (signal != null && egress.bytesQueued() <= egress.capacityBytes() / 2) {
      // the lossless signal publishes into the ring: never on the forwarder, its consumer
      writableSignal = null;
      ForkJoinPool.commonPool().execute(signal);
    }
  }

  /**
   * Tells the recorder which frames never left (see {@link UnsentFrames}). The forwarder must not
   * publish into the ring it consumes, so a pool thread does; the frames' egress events are already
   * behind the forwarder, so the report still follows them in the recording.
   */
  private void reportUnsent(PortCounter reason) {
    if (!unsent.isEmpty()) {
      SwitchCommand.EgressUnsent report = unsent.takeCommand(id, reason);
      ForkJoinPool.commonPool().execute(() -> ring.publishCommandIfRunning(report));
    }
  }

  @Override
  public final boolean sendsOnForwarder() {
    return true;
  }

  @Override
  public final void requestWritableSignal(Runnable signal) {
    writableSignal = signal;
  }

  @Override
  public final void pauseIngress() {
    LOG.debug("port {}: pausing ingress (backpressure)", spec.name());
    ingressPaused = true;
  }

  @Override
  public final void resumeIngress() {
    LOG.debug("port {}: resuming ingress", spec.name());
    ingressPaused = false;
    Thread t = ingressThread;
    if (t != null) {
      LockSupport.unpark(t);
    }
  }

  @Override
  public final boolean isLinkUp() {
    return linkUp;
  }

  @Override
  public final String describe() {
    return state + (ingressPaused ? ", paused by backpressure" : "");
  }
}
