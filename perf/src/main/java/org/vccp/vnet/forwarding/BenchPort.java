package org.vccp.vnet.forwarding;

import java.nio.file.Path;
import org.vccp.vnet.port.EgressQueue;
import org.vccp.vnet.port.Port;
import org.vccp.vnet.port.PortAddress;
import org.vccp.vnet.port.PortSpec;
import org.vccp.vnet.status.Counters;

/**
 * A port with a real egress queue and no socket: {@link #egressReady()} drains the queue on the
 * calling thread (the forwarder's), counting frames and bytes, so a benchmark measures the
 * forwarder plus the cheapest possible consumer and the queue never fills.
 */
final class BenchPort implements Port {
  private final int id;
  private final PortSpec spec;
  private final Counters counters = Counters.forPort();
  private final EgressQueue egress;
  private final EgressQueue.FrameHandler counter = this::count;
  private long frames;
  private long bytes;

  BenchPort(int id, int queueBytes) {
    this.id = id;
    this.spec = PortSpec.listen("b" + id, PortAddress.unix(Path.of("/nonexistent/b" + id)));
    this.egress = new EgressQueue(queueBytes);
  }

  private boolean count(byte[] buffer, int offset, int length, long packetId, int fromPort) {
    frames++;
    bytes += length + buffer[offset + length - 1];
    return true;
  }

  /** Frames drained so far (read after the forwarder thread has stopped, or on it). */
  long frames() {
    return frames;
  }

  /** Bytes drained plus each frame's last byte, so the drain cannot be optimised away. */
  long bytes() {
    return bytes;
  }

  @Override
  public void egressReady() {
    egress.drain(counter, Integer.MAX_VALUE);
  }

  @Override
  public int id() {
    return id;
  }

  @Override
  public String name() {
    return spec.name();
  }

  @Override
  public PortSpec spec() {
    return spec;
  }

  @Override
  public Counters counters() {
    return counters;
  }

  @Override
  public EgressQueue egress() {
    return egress;
  }

  @Override
  public boolean isLinkUp() {
    return true;
  }

  @Override
  public void pauseIngress() {}

  @Override
  public void resumeIngress() {}

  @Override
  public String describe() {
    return "benchmark";
  }

  @Override
  public void requestWritableSignal(Runnable signal) {}

  @Override
  public void close() {}
}
