package org.vccp.vnet.port;

import org.vccp.vnet.status.Counters;

/**
 * A switch port: where frames enter the ring and leave through an {@link EgressQueue}. The
 * forwarder enqueues frames and calls {@link #egressReady()} once per batch; the port's own I/O
 * thread writes them to its peer (or, where the port can do that safely, the forwarding thread
 * itself: packet sockets always, stream sockets at low load).
 */
public interface Port extends AutoCloseable {
  /** Small integer id, unique among the switch's current ports; indexes the forwarder's tables. */
  int id();

  String name();

  PortSpec spec();

  Counters counters();

  EgressQueue egress();

  /**
   * Binds, dials or attaches to the port's peer, once, after the forwarder knows the port.
   *
   * @throws PortBindException naming the port and what could not be opened
   */
  default void open() {}

  /**
   * Whether the port sends frames that still owe work ({@link org.vccp.vnet.frame.Offload}) as they
   * are, leaving the work to its interface. The forwarder resolves offloads for every other port.
   */
  default boolean acceptsOffload() {
    return false;
  }

  /** True when a peer is connected (stream) or the socket is bound (datagram). */
  boolean isLinkUp();

  /** Tells the port that the forwarder enqueued frames; called once per batch, not per frame. */
  void egressReady();

  /**
   * {@link #egressReady()} from an ingress thread that forwarded its own frames into an idle ring:
   * low load, where handing the write to another thread costs a wake-up per frame, so the port may
   * write on the calling thread (a stream port does, for a small batch). By default the same.
   */
  default void egressReadyInline() {
    egressReady();
  }

  /**
   * Whether {@link #egressReady()} sends everything queued before it returns, on the calling
   * (forwarder) thread, as a packet-socket port does. The forwarder then empties such a port's full
   * queue in the middle of a batch rather than drop: a full queue there means only that the batch
   * holds more than the queue, never a slow peer.
   */
  default boolean sendsOnForwarder() {
    return false;
  }

  /** Stops reading from the peer (backpressure from a congested lossless port). Thread-safe. */
  void pauseIngress();

  /** Undoes {@link #pauseIngress()}. Thread-safe. */
  void resumeIngress();

  /** One line of state for {@code vccp ctl ports}: peer, connection state. */
  String describe();

  /**
   * Asks to be told, once, when the egress queue has drained below half so the forwarder can move a
   * lossless port's overflow into it.
   */
  void requestWritableSignal(Runnable signal);

  @Override
  void close();

  /**
   * Bytes the switch has taken for this port that its peer has not read yet, as far as the switch
   * can see: its egress queue, its socket's pending writes, and (where the OS tells) the socket's
   * send queue. A checkpoint waits for 0 before stopping a held guest.
   */
  default long unsentBytes() {
    return egress().bytesQueued();
  }

  /**
   * Completes once everything this port has read from its peer so far is published to the ring
   * (runs a task on the port's I/O thread behind any read in progress).
   */
  default java.util.concurrent.CompletableFuture<Void> syncIngress() {
    return java.util.concurrent.CompletableFuture.completedFuture(null);
  }
}
