package org.vccp.vnet.port;

import org.vccp.vnet.ring.FrameRing;
import org.vccp.vnet.status.Counters;

/**
 * What every port holds, whatever carries its frames: its id and spec, the ring it feeds, its
 * egress queue and counters, and the frames it has given up on, to report to the recording. {@link
 * SocketPort} (Netty sockets) and {@link InterfacePort} (Linux interfaces) build on it.
 */
public abstract class AbstractPort implements Port {
  protected final int id;
  protected final PortSpec spec;
  protected final FrameRing ring;
  protected final EgressQueue egress;
  protected final Counters counters = Counters.forPort();

  /** Frames given up on, to be reported to the recording. One thread: the port's egress side. */
  protected final UnsentFrames unsent = new UnsentFrames();

  protected AbstractPort(int id, PortSpec spec, FrameRing ring, int egressQueueBytes) {
    this.id = id;
    this.spec = spec;
    this.ring = ring;
    this.egress = new EgressQueue(egressQueueBytes);
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
