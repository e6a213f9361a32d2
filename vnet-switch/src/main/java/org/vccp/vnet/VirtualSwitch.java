package org.vccp.vnet;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.agrona.concurrent.SystemNanoClock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vccp.vnet.config.SwitchContext;
import org.vccp.vnet.forwarding.Forwarder;
import org.vccp.vnet.forwarding.ForwardingSettings;
import org.vccp.vnet.forwarding.MacTable;
import org.vccp.vnet.forwarding.SwitchCommand;
import org.vccp.vnet.port.Port;
import org.vccp.vnet.port.PortIo;
import org.vccp.vnet.port.PortSpec;
import org.vccp.vnet.port.dgram.DgramPort;
import org.vccp.vnet.port.packet.PacketPort;
import org.vccp.vnet.port.pcap.PcapPort;
import org.vccp.vnet.port.stream.StreamPort;
import org.vccp.vnet.ring.FrameRing;
import org.vccp.vnet.status.Counters;

/**
 * A running switch: the I/O threads, the frame ring with its forwarder, and the ports. Ports can be
 * added and removed at any time; each change travels through the ring so it takes effect at a
 * precise point in the frame stream. Thread-safe.
 */
public final class VirtualSwitch implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(VirtualSwitch.class);
  private static final long COMMAND_TIMEOUT_MS = 5_000;

  private final SwitchContext ctx;
  private final PortIo io;
  private final FrameRing ring;
  private final Forwarder forwarder;
  private final org.vccp.vnet.record.Recorder recorder;
  private final Counters switchCounters = Counters.forSwitch();
  private final Map<String, Port> ports = new ConcurrentHashMap<>();
  private final BitSet usedIds = new BitSet();
  private final io.netty.util.concurrent.ScheduledFuture<?> ticker;
  private volatile boolean closed;

  private VirtualSwitch(SwitchContext ctx) {
    this.ctx = ctx;
    this.io = new PortIo(ctx.ioThreads);
    this.forwarder =
        new Forwarder(
            new ForwardingSettings(
                ctx.maxPorts,
                TimeUnit.SECONDS.toNanos(ctx.agingSeconds),
                ctx.macTableCapacity,
                ctx.maxFrameBytes),
            new SystemNanoClock(),
            switchCounters,
            this::publish);
    forwarder.holdSettings(
        ctx.holdMemoryBytes,
        ctx.holdSpillDir != null
            ? ctx.holdSpillDir
            : java.nio.file.Path.of(System.getProperty("java.io.tmpdir")));
    FrameRing[] ringRef = new FrameRing[1];
    this.recorder =
        new org.vccp.vnet.record.Recorder(
            ctx.maxPorts, version(), on -> ringRef[0].stampIngress(on));
    this.ring =
        new FrameRing(
            ctx.ringSlots,
            ctx.inlineFrameBytes,
            ctx.maxPorts,
            ctx.waitStrategy,
            ctx.forwardOnIngress,
            forwarder,
            recorder);
    ringRef[0] = ring;
    ring.start();
    this.ticker =
        io.nextLoop()
            .scheduleAtFixedRate(() -> publish(new SwitchCommand.Tick()), 1, 1, TimeUnit.SECONDS);
  }

  /**
   * Starts a switch with the ports and static MAC entries of {@code ctx}.
   *
   * @throws IllegalArgumentException when the settings are invalid
   * @throws org.vccp.vnet.port.PortBindException when a port cannot bind; nothing is left running
   */
  public static VirtualSwitch start(SwitchContext ctx) {
    ctx.validate();
    VirtualSwitch sw = new VirtualSwitch(ctx);
    try {
      if (ctx.recordDir != null) {
        org.vccp.vnet.record.RecordingStatus r = sw.startRecording(ctx.recordingSettings());
        if (r.error() != null) {
          throw new IllegalArgumentException(r.error());
        }
      }
      for (PortSpec p : ctx.ports) {
        sw.addPort(p);
      }
      for (SwitchContext.StaticMac m : ctx.staticMacs) {
        sw.addStaticMac(m.mac(), m.port(), m.vlan());
      }
    } catch (RuntimeException e) {
      sw.close();
      throw e;
    }
    return sw;
  }

  private void publish(SwitchCommand c) {
    if (!closed) {
      ring.publishCommand(c);
    }
  }

  /**
   * Adds a port and starts forwarding to and from it. Returns once a listening port is bound.
   *
   * @throws IllegalArgumentException when the name is taken or the switch is full
   * @throws org.vccp.vnet.port.PortBindException when the socket cannot be bound
   */
  public synchronized Port addPort(PortSpec spec) {
    if (ports.containsKey(spec.name())) {
      throw new IllegalArgumentException("port " + spec.name() + " already exists");
    }
    int id = usedIds.nextClearBit(0);
    if (id >= ctx.maxPorts) {
      throw new IllegalArgumentException(
          "cannot add port " + spec.name() + ": the switch has max-ports=" + ctx.maxPorts);
    }
    int queueBytes = spec.egressQueueBytes() > 0 ? spec.egressQueueBytes() : ctx.egressQueueBytes;
    Port port =
        switch (spec.mode()) {
          case DGRAM -> new DgramPort(id, spec, io, ring, ctx.maxFrameBytes, queueBytes);
          case PCAP ->
              spec.offload()
                  ? new PacketPort(id, spec, ring, ctx.maxFrameBytes, queueBytes, this::portGone)
                  : new PcapPort(id, spec, ring, ctx.maxFrameBytes, queueBytes, this::portGone);
          case LISTEN, CONNECT ->
              new StreamPort(
                  id,
                  spec,
                  io,
                  ring,
                  ctx.maxFrameBytes,
                  queueBytes,
                  ctx.redialMs,
                  ctx.waitingPeerMs);
        };
    await(c -> new SwitchCommand.AddPort(port, c), "add port " + spec.name());
    try {
      port.open();
    } catch (RuntimeException e) {
      await(c -> new SwitchCommand.RemovePort(id, c), "remove port " + spec.name());
      port.close();
      throw e;
    }
    usedIds.set(id);
    ports.put(spec.name(), port);
    return port;
  }

  /**
   * A pcap port whose interface vanished (its QEMU exited and took the tap along): removed on a
   * thread of its own, since the caller is the port's capture thread, which close() joins.
   */
  private void portGone(Port port) {
    Thread t =
        new Thread(
            () -> {
              synchronized (this) {
                if (!closed && ports.get(port.name()) == port) {
                  LOG.info(
                      "port {}: removing it, its interface {} is gone",
                      port.name(),
                      port.spec().device());
                  removePort(port.name());
                }
              }
            },
            "vccp-port-gone");
    t.setDaemon(true);
    t.start();
  }

  /** Removes a port: stops forwarding to it, forgets its MAC entries, closes its socket. */
  public synchronized void removePort(String name) {
    Port p = ports.get(name);
    if (p == null) {
      throw new IllegalArgumentException("no port named " + name + " (see vccp ctl ports)");
    }
    await(c -> new SwitchCommand.RemovePort(p.id(), c), "remove port " + name);
    ports.remove(name);
    p.close();
    usedIds.clear(p.id());
    LOG.info("port {}: removed", name);
  }

  /** Adds a static MAC entry on the named port. */
  public void addStaticMac(long mac, String portName, int vlan) {
    Port p = ports.get(portName);
    if (p == null) {
      throw new IllegalArgumentException("no port named " + portName + " for static MAC entry");
    }
    await(c -> new SwitchCommand.AddStaticMac(vlan, mac, p.id(), c), "add static MAC");
  }

  /** Learns a MAC entry on the named port as if a frame from it had just arrived. */
  public void learnMac(long mac, String portName, int vlan) {
    Port p = existing(portName);
    await(c -> new SwitchCommand.LearnMac(vlan, mac, p.id(), c), "learn MAC");
  }

  /** A consistent copy of the MAC table, read on the forwarder thread. */
  public List<MacTable.Entry> macs() {
    CompletableFuture<List<MacTable.Entry>> f = new CompletableFuture<>();
    publish(new SwitchCommand.ListMacs(f));
    return get(f, "list MAC table");
  }

  private void await(
      java.util.function.Function<CompletableFuture<Void>, SwitchCommand> command, String what) {
    CompletableFuture<Void> f = new CompletableFuture<>();
    publish(command.apply(f));
    get(f, what);
  }

  private static <T> T get(CompletableFuture<T> f, String what) {
    try {
      return f.get(COMMAND_TIMEOUT_MS, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(what + ": interrupted", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException(what + ": " + e.getCause().getMessage(), e.getCause());
    } catch (TimeoutException e) {
      throw new IllegalStateException(
          what + ": the forwarder did not answer within " + COMMAND_TIMEOUT_MS + " ms");
    }
  }

  private Port existing(String name) {
    Port p = ports.get(name);
    if (p == null) {
      throw new IllegalArgumentException("no port named " + name + " (see vccp ctl ports)");
    }
    return p;
  }

  /**
   * Holds a port: from the next frame on, frames to it queue in order (labelled {@code epoch})
   * instead of being written. Frames already in its egress queue are still written.
   */
  public void hold(String port, long epoch) {
    Port p = existing(port);
    await(c -> new SwitchCommand.Hold(p.id(), epoch, c), "hold " + port);
  }

  /**
   * Ends a hold: the queued frames are written in order before any newer frame to the port. Returns
   * how many frames were held.
   */
  public long release(String port) {
    Port p = existing(port);
    CompletableFuture<Long> f = new CompletableFuture<>();
    publish(new SwitchCommand.Release(p.id(), f));
    return get(f, "release " + port);
  }

  /** The port's held frames, oldest first (its channel state while held). */
  public List<org.vccp.vnet.hold.HeldFrame> heldFrames(String port) {
    Port p = existing(port);
    CompletableFuture<List<org.vccp.vnet.hold.HeldFrame>> f = new CompletableFuture<>();
    publish(new SwitchCommand.ExportHeld(p.id(), f));
    return get(f, "read held frames of " + port);
  }

  /**
   * Drops what a held port has queued so far (frames from a timeline that a restore abandons, e.g.
   * still on an inter-switch link when the guests were killed). Returns how many.
   */
  public long discardHeldFrames(String port) {
    Port p = existing(port);
    CompletableFuture<Long> f = new CompletableFuture<>();
    publish(new SwitchCommand.DiscardHeld(p.id(), f));
    return get(f, "discard held frames of " + port);
  }

  /** Appends channel state to a held port's queue; it is written (replayed) on release. */
  public void loadHeldFrames(String port, List<org.vccp.vnet.hold.HeldFrame> frames) {
    Port p = existing(port);
    await(
        c -> new SwitchCommand.ImportHeld(p.id(), List.copyOf(frames), c),
        "load channel state of " + port);
  }

  /** Starts (or restarts, in a new run) recording; the status says where, or why it failed. */
  public org.vccp.vnet.record.RecordingStatus startRecording(
      org.vccp.vnet.record.RecordingSettings settings) {
    CompletableFuture<org.vccp.vnet.record.RecordingStatus> f = new CompletableFuture<>();
    publish(new SwitchCommand.Record(settings, f));
    return get(f, "start recording");
  }

  /** Stops recording after every frame published so far is written and the file closed. */
  public org.vccp.vnet.record.RecordingStatus stopRecording() {
    CompletableFuture<org.vccp.vnet.record.RecordingStatus> f = new CompletableFuture<>();
    publish(new SwitchCommand.Record(null, f));
    return get(f, "stop recording");
  }

  public org.vccp.vnet.record.RecordingStatus recordingStatus() {
    CompletableFuture<org.vccp.vnet.record.RecordingStatus> f = new CompletableFuture<>();
    publish(new SwitchCommand.RecordStatus(f));
    return get(f, "read recording status");
  }

  /**
   * Writes a mark line into the recording at this point of the frame stream; returns whether a
   * recording was on.
   */
  public boolean mark(String text) {
    CompletableFuture<Boolean> f = new CompletableFuture<>();
    publish(new SwitchCommand.Mark(text, f));
    return get(f, "write recording mark");
  }

  private static String version() {
    String v = VirtualSwitch.class.getPackage().getImplementationVersion();
    return v != null ? v : "dev";
  }

  /** Ports in id order. */
  public List<Port> ports() {
    List<Port> list = new ArrayList<>(ports.values());
    list.sort(Comparator.comparingInt(Port::id));
    return list;
  }

  public Port port(String name) {
    return ports.get(name);
  }

  /** An I/O loop for sockets that belong to the switch itself (control socket). */
  public io.netty.channel.EventLoop ioLoop() {
    return io.nextLoop();
  }

  public Counters counters() {
    return switchCounters;
  }

  public SwitchContext context() {
    return ctx;
  }

  /** Frames published to the ring and not yet forwarded. */
  public long ringBacklog() {
    return ring.backlog();
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    ticker.cancel(false);
    for (Port p : ports()) {
      p.close();
    }
    ports.clear();
    closed = true;
    ring.close();
    io.close();
  }
}
