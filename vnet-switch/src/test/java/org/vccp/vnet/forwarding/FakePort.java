package org.vccp.vnet.forwarding;

import java.util.ArrayList;
import java.util.List;
import org.vccp.vnet.port.EgressQueue;
import org.vccp.vnet.port.Port;
import org.vccp.vnet.port.PortAddress;
import org.vccp.vnet.port.PortSpec;
import org.vccp.vnet.port.PortVlan;
import org.vccp.vnet.status.Counters;

/** A port with a real egress queue and no socket, for driving the forwarder on the test thread. */
final class FakePort implements Port {
  private final int id;
  private final PortSpec spec;
  private final Counters counters = Counters.forPort();
  private final EgressQueue egress;
  boolean linkUp = true;
  boolean acceptsOffload;

  /** Like a packet-socket port: egressReady sends (here: into {@link #sent}) everything queued. */
  boolean sendsOnForwarder;

  final List<byte[]> sent = new ArrayList<>();
  boolean paused;
  int egressReadyCalls;
  int egressReadyInlineCalls;
  Runnable writableSignal;

  FakePort(int id, PortVlan vlan, boolean lossless, int queueBytes) {
    this.id = id;
    this.spec =
        PortSpec.listen("p" + id, PortAddress.unix(java.nio.file.Path.of("/nonexistent/p" + id)))
            .withVlan(vlan)
            .withLossless(lossless);
    this.egress = new EgressQueue(queueBytes);
  }

  FakePort(int id) {
    this(id, PortVlan.access(1), false, 128 * 1024);
  }

  /** Drains and returns everything queued for this port. */
  List<byte[]> take() {
    List<byte[]> out = new ArrayList<>();
    while (!egress.isEmpty()) {
      drainOnce(out);
    }
    return out;
  }

  private void drainOnce(List<byte[]> out) {
    egress.drain(
        (buf, offset, length, id, from) -> {
          out.add(java.util.Arrays.copyOfRange(buf, offset, offset + length));
          return true;
        },
        Integer.MAX_VALUE);
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
  public boolean acceptsOffload() {
    return acceptsOffload;
  }

  /** Drains everything queued: per frame its length and offload word. */
  List<long[]> takeWithOffloads() {
    List<long[]> out = new ArrayList<>();
    egress.drain(
        new EgressQueue.FrameHandler() {
          @Override
          public boolean onFrame(byte[] b, int o, int l, long id, int from) {
            return onFrame(b, o, l, id, from, 0L);
          }

          @Override
          public boolean onFrame(byte[] b, int o, int l, long id, int from, long offload) {
            out.add(new long[] {l, offload, id});
            return true;
          }
        },
        Integer.MAX_VALUE);
    return out;
  }

  @Override
  public boolean isLinkUp() {
    return linkUp;
  }

  @Override
  public void egressReady() {
    egressReadyCalls++;
    if (sendsOnForwarder) {
      sent.addAll(take());
    }
  }

  @Override
  public void egressReadyInline() {
    egressReadyInlineCalls++;
    egressReady();
  }

  @Override
  public boolean sendsOnForwarder() {
    return sendsOnForwarder;
  }

  @Override
  public void pauseIngress() {
    paused = true;
  }

  @Override
  public void resumeIngress() {
    paused = false;
  }

  @Override
  public String describe() {
    return "fake";
  }

  @Override
  public void requestWritableSignal(Runnable signal) {
    writableSignal = signal;
  }

  @Override
  public void close() {}
}
