package org.vccp.vnet.forwarding;

import com.lmax.disruptor.EventHandler;
import java.util.ArrayDeque;
import java.util.List;
import java.util.function.Consumer;
import org.agrona.concurrent.NanoClock;
import org.vccp.vnet.frame.EthernetFrame;
import org.vccp.vnet.frame.Offload;
import org.vccp.vnet.port.Port;
import org.vccp.vnet.port.PortVlan;
import org.vccp.vnet.ring.FrameSlot;
import org.vccp.vnet.status.Counters;
import org.vccp.vnet.status.PortCounter;
import org.vccp.vnet.status.SwitchCounter;

/**
 * The learning bridge: the first consumer of the frame ring. For each frame it classifies the VLAN,
 * learns the source, decides the egress ports (one learned port, or a flood that never returns to
 * the ingress port), and enqueues the frame on each, re-tagged for that port. Egress ports are told
 * once per batch ({@code endOfBatch}), so a burst costs one wake-up per port.
 *
 * <p>It never blocks. A full queue costs a tail-drop counted on that port, or for a lossless port a
 * copy into the port's overflow list and a pause of the sender, which is undone when the queue
 * drains (signalled back through the ring as {@link SwitchCommand.EgressWritable}).
 *
 * <p>All state here is owned by the forwarder thread; other threads reach it only through {@link
 * SwitchCommand}s in the ring.
 */
public final class Forwarder implements EventHandler<FrameSlot>, org.vccp.vnet.ring.InlineGuard {
  private final Port[] ports;
  private final PortVlan[] vlans;
  private final LosslessOverflow[] overflows;
  private final int[] pausedBy;

  /** Ids of the current ports, so a flood visits only them (not every possible slot). */
  private final int[] activeIds;

  private int activeCount;
  private final boolean[] dirty;
  private final int[] dirtyList;
  private int dirtyCount;

  private final MacTable macs;
  private final NanoClock clock;
  private final Counters counters;
  private final Consumer<SwitchCommand> commandSink;
  private final int maxFrameBytes;
  private long nowNs;

  private final org.vccp.vnet.hold.HoldQueue[] holds;
  private final boolean[] held;
  private final long[] holdEpochs;
  private long holdMemoryBytes = 64L << 20;
  private java.nio.file.Path holdSpillDir =
      java.nio.file.Path.of(System.getProperty("java.io.tmpdir"));
  private FrameSlot current;
  private long currentSequence;

  /**
   * True from a hold until no port is held and every hold queue is empty: then frames may go to
   * hold queues that spill to disk, which ingress threads must not do (see {@link #allowsInline}).
   */
  private volatile boolean holding;

  /**
   * Whether the batch being forwarded is an ingress thread's own ({@link #forwardingInline}).
   * Written and read by the role's holder only; the role's lock orders it between holders.
   */
  private boolean inlineBatch;

  private long replayIds;

  /** Overflow frames dropped as unresolvable, to report as unsent. Forwarder thread only. */
  private final org.vccp.vnet.port.UnsentFrames gsoDropped = new org.vccp.vnet.port.UnsentFrames();

  /** Scratch for resolving offloads towards ports that do not pass them on. */
  private final Offload.Segments segments = new Offload.Segments();

  /**
   * @param commandSink publishes commands back into the ring (for lossless writable signals)
   */
  public Forwarder(
      ForwardingSettings settings,
      NanoClock clock,
      Counters switchCounters,
      Consumer<SwitchCommand> commandSink) {
    int n = settings.maxPorts();
    this.ports = new Port[n];
    this.vlans = new PortVlan[n];
    this.overflows = new LosslessOverflow[n];
    this.pausedBy = new int[n];
    this.activeIds = new int[n];
    this.dirty = new boolean[n];
    this.dirtyList = new int[n];
    this.holds = new org.vccp.vnet.hold.HoldQueue[n];
    this.held = new boolean[n];
    this.holdEpochs = new long[n];
    this.current = new FrameSlot(0, 0);
    this.clock = clock;
    this.counters = switchCounters;
    this.commandSink = commandSink;
    this.maxFrameBytes = settings.maxFrameBytes();
    this.nowNs = clock.nanoTime();
    this.macs =
        new MacTable(settings.macTableCapacity(), settings.agingNs(), nowNs, switchCounters);
  }

  /** Where hold queues spill past {@code memoryBytes} per port (set before the first hold). */
  public void holdSettings(long memoryBytes, java.nio.file.Path spillDir) {
    this.holdMemoryBytes = memoryBytes;
    this.holdSpillDir = spillDir;
  }

  @Override
  public void onBatchStart(long batchSize, long queueDepth) {
    nowNs = clock.nanoTime();
  }

  @Override
  public void onEvent(FrameSlot slot, long sequence, boolean endOfBatch) {
    slot.forwardedNs = nowNs;
    slot.released = null;
    current = slot;
    currentSequence = sequence;
    if (slot.kind == FrameSlot.KIND_FRAME) {
      forward(slot);
    } else if (slot.kind == FrameSlot.KIND_COMMAND) {
      execute((SwitchCommand) slot.command);
    }
    if (endOfBatch) {
      flush();
    }
  }

  /**
   * Ingress threads may forward their own frames except while ports are held or hold queues still
   * have frames: adding to and draining those may touch the disk, which must not stall an event
   * loop.
   */
  @Override
  public boolean allowsInline() {
    return !holding;
  }

  @Override
  public void forwardingInline(boolean inline) {
    inlineBatch = inline;
  }

  @Override
  public void forwardedInline(long slots) {
    counters.add(SwitchCounter.FORWARDED_ON_INGRESS, slots);
  }

  /**
   * Tells every port that received frames in this batch to write them: at low load (an ingress
   * thread forwarding its own frames) a port may do that on this thread ({@link
   * Port#egressReadyInline}).
   */
  public void flush() {
    if (holding) {
      holding = anyHoldInUse();
    }
    for (int i = 0; i < dirtyCount; i++) {
      int id = dirtyList[i];
      dirty[id] = false;
      Port p = ports[id];
      if (p == null) {
        continue;
      }
      if (inlineBatch) {
        p.egressReadyInline();
      } else {
        p.egressReady();
      }
    }
    dirtyCount = 0;
  }

  private void forward(FrameSlot slot) {
    slot.egressCount = 0;
    slot.droppedCount = 0;
    slot.dropReason = FrameSlot.NOT_DROPPED;
    int inId = slot.ingressPortId;
    Port in = inId >= 0 && inId < ports.length ? ports[inId] : null;
    if (in == null) {
      slot.dropReason = PortCounter.DROP_NO_PORT.id();
      return;
    }
    byte[] f = slot.data;
    int len = slot.length;
    long src = EthernetFrame.source(f, 0);
    if (EthernetFrame.isMulticast(src)) {
      drop(slot, in, PortCounter.DROP_MULTICAST_SOURCE);
      return;
    }
    boolean tagged = EthernetFrame.isVlanTagged(f, 0, len);
    int tci = tagged ? EthernetFrame.tci(f, 0) : 0;
    int vlan = vlans[inId].classify(tagged ? EthernetFrame.vlanId(tci) : -1);
    if (vlan < 0) {
      drop(slot, in, PortCounter.DROP_VLAN);
      return;
    }
    slot.vlanId = vlan;
    macs.learn(vlan, src, inId, nowNs);

    long dst = EthernetFrame.destination(f, 0);
    if (!EthernetFrame.isMulticast(dst)) {
      int outId = macs.lookup(vlan, dst);
      if (outId == inId) {
        counters.increment(SwitchCounter.FRAMES_FILTERED);
        return;
      }
      if (outId >= 0 && ports[outId] != null) {
        counters.increment(SwitchCounter.FRAMES_FORWARDED);
        enqueue(slot, outId, vlan, tagged, tci);
        return;
      }
    }
    counters.increment(SwitchCounter.FRAMES_FLOODED);
    for (int i = 0; i < activeCount; i++) {
      int id = activeIds[i];
      if (id != inId && vlans[id].carries(vlan)) {
        enqueue(slot, id, vlan, tagged, tci);
      }
    }
  }

  private void drop(FrameSlot slot, Port port, PortCounter reason) {
    port.counters().increment(reason);
    slot.dropReason = reason.id();
  }

  private void enqueue(FrameSlot slot, int outId, int vlan, boolean srcTagged, int srcTci) {
    Port out = ports[outId];
    boolean strip;
    int insertTci;
    if (vlans[outId].untagged(vlan)) {
      strip = srcTagged;
      insertTci = -1;
    } else {
      int tci = srcTagged ? (srcTci & 0xF000) | vlan : vlan;
      strip = srcTagged && tci != srcTci;
      insertTci = srcTagged && !strip ? -1 : tci;
    }
    int outLength = slot.length - (strip ? 4 : 0) + (insertTci >= 0 ? 4 : 0);
    int edit =
        (strip ? FrameSlot.EDIT_STRIP : 0) | (insertTci >= 0 ? insertTci : FrameSlot.EDIT_NONE);
    org.vccp.vnet.hold.HoldQueue hold = holds[outId];
    if (hold != null && (held[outId] || !hold.isEmpty()) && outLength <= maxFrameBytes) {
      byte[] copy = new byte[outLength];
      FrameSlot.applyEdit(slot.data, slot.length, edit, copy);
      long heldOffload = Offload.shifted(slot.offload, outLength - slot.length);
      if (Offload.owesWork(heldOffload)
          && !out.acceptsOffload()
          && !releasable(out, copy, heldOffload)) {
        out.counters().addShared(PortCounter.DROP_GSO, 1); // never held: it could not leave
        droppedAt(slot, outId, PortCounter.DROP_GSO);
        return;
      }
      Port in = ports[slot.ingressPortId];
      hold.add(
          new org.vccp.vnet.hold.HeldFrame(
              currentSequence,
              in != null ? in.name() : "?",
              holdEpochs[outId],
              false,
              copy,
              heldOffload));
      out.counters().increment(PortCounter.HELD_FRAMES);
      out.counters().add(PortCounter.HELD_BYTES, outLength);
      slot.addEgress(outId, edit | FrameSlot.EDIT_HELD);
      return;
    }
    if (!out.isLinkUp()) {
      out.counters().increment(PortCounter.DROP_NO_PORT);
      droppedAt(slot, outId, PortCounter.DROP_NO_PORT);
      return;
    }
    if (outLength > maxFrameBytes) {
      out.counters().addShared(PortCounter.DROP_OVERSIZE, 1);
      droppedAt(slot, outId, PortCounter.DROP_OVERSIZE);
      return;
    }
    slot.addEgress(outId, edit);
    LosslessOverflow overflow = overflows[outId];
    if (overflow != null && !overflow.isEmpty()) {
      overflow.add(slot, strip, insertTci, currentSequence);
      pauseSender(outId, slot.ingressPortId);
      return;
    }
    int queued = offerSlot(out, slot, strip, insertTci);
    if (queued == 0 && out.sendsOnForwarder()) {
      out.egressReady(); // the batch outgrew the queue; empty it here, then retry once
      queued = offerSlot(out, slot, strip, insertTci);
    }
    if (queued > 0) {
      markDirty(outId);
      return;
    }
    if (queued < 0) {
      out.counters().addShared(PortCounter.DROP_GSO, 1);
      slot.egressCount--;
      droppedAt(slot, outId, PortCounter.DROP_GSO);
      return;
    }
    if (overflow == null) {
      out.counters().increment(PortCounter.DROP_CONGESTION);
      slot.egressCount--;
      droppedAt(slot, outId, PortCounter.DROP_CONGESTION);
      return;
    }
    overflow.add(slot, strip, insertTci, currentSequence);
    out.counters().increment(PortCounter.BACKPRESSURE);
    pauseSender(outId, slot.ingressPortId);
    markDirty(outId);
    requestWritableSignal(outId);
  }

  /** {@link #offerTo} for the frame in {@code slot}, this batch's current one. */
  private int offerSlot(Port out, FrameSlot slot, boolean strip, int insertTci) {
    return offerTo(
        out,
        slot.data,
        slot.length,
        strip,
        insertTci,
        currentSequence,
        slot.ingressPortId,
        slot.offload);
  }

  /**
   * Queues a frame for {@code out}: as it is (with its offload word) when the port passes offloads
   * on or the frame owes nothing, else as the plain frames {@link Offload#resolve} makes of it, all
   * of them or none.
   *
   * @return 1 queued, 0 no room, -1 an offload this switch cannot resolve (or whose frames could
   *     never fit the port's queue)
   */
  private int offerTo(
      Port out,
      byte[] f,
      int len,
      boolean strip,
      int insertTci,
      long packetId,
      int fromPort,
      long offload) {
    org.vccp.vnet.port.EgressQueue q = out.egress();
    if (offload == 0 || !Offload.owesWork(offload) || out.acceptsOffload()) {
      long passOn = out.acceptsOffload() ? offload : 0;
      return q.offer(f, 0, len, strip, insertTci, packetId, fromPort, passOn) ? 1 : 0;
    }
    int n = Offload.resolve(f, len, offload, segments);
    if (n < 0) {
      return -1;
    }
    byte[] b = segments.bytes();
    if (!q.hasRoomFor(n, segments.totalBytes(), segments.largestBytes())) {
      return q.canEverHold(n, segments.totalBytes(), segments.largestBytes()) ? 0 : -1;
    }
    for (int i = 0, at = 0; i < n; at += segments.length(i), i++) {
      if (!q.offer(b, at, segments.length(i), strip, insertTci, packetId, fromPort, 0L)) {
        throw new IllegalStateException("egress queue of " + out.name() + " lost room it had");
      }
    }
    out.counters().add(PortCounter.OFFLOAD_SEGMENTS, n);
    return 1;
  }

  /** Whether a held frame owing work could be resolved for {@code out} and fit its queue. */
  private boolean releasable(Port out, byte[] frame, long offload) {
    int n = Offload.resolve(frame, frame.length, offload, segments);
    return n >= 0 && out.egress().canEverHold(n, segments.totalBytes(), segments.largestBytes());
  }

  private static void droppedAt(FrameSlot slot, int portId, PortCounter reason) {
    slot.addDropped(portId, reason.id());
  }

  /** Asks the port to signal, through the ring, when its queue has room for the overflow. */
  private void requestWritableSignal(int id) {
    ports[id].requestWritableSignal(() -> commandSink.accept(new SwitchCommand.EgressWritable(id)));
  }

  private void pauseSender(int egressId, int senderId) {
    if (overflows[egressId].addPausedSender(senderId) && pausedBy[senderId]++ == 0) {
      Port sender = ports[senderId];
      if (sender != null) {
        sender.pauseIngress();
      }
    }
  }

  private void markDirty(int id) {
    if (!dirty[id]) {
      dirty[id] = true;
      dirtyList[dirtyCount++] = id;
    }
  }

  /** Moves held frames into the port's queue, oldest first, as far as it has room. */
  private void drainHold(int id) {
    org.vccp.vnet.hold.HoldQueue q = holds[id];
    Port out = ports[id];
    if (overflows[id] != null && !overflows[id].isEmpty()) {
      requestWritableSignal(id);
      return;
    }
    int moved = 0;
    while (!q.isEmpty()) {
      org.vccp.vnet.hold.HeldFrame f = q.peek();
      long packetId = f.replayed() ? FrameSlot.REPLAY_ID_BIT | replayIds : f.packetId();
      int queued =
          offerTo(
              out,
              f.frame(),
              f.frame().length,
              false,
              -1,
              packetId,
              portNamed(f.origin()),
              f.offload());
      if (queued == 0) {
        break;
      }
      q.poll();
      if (queued < 0) {
        // its hold was recorded (not delivered); with no release event it stays undelivered
        out.counters().addShared(PortCounter.DROP_GSO, 1);
        continue;
      }
      if (current.released == null) {
        current.released = new java.util.ArrayList<>();
        current.releasedPort = id;
        current.releasedFirstReplayId = replayIds;
      }
      if (f.replayed()) {
        replayIds++;
      }
      current.released.add(f);
      moved++;
    }
    if (moved > 0) {
      out.counters().add(PortCounter.RELEASED_FRAMES, moved);
      markDirty(id);
    }
    if (!q.isEmpty()) {
      requestWritableSignal(id);
    }
  }

  private void onEgressWritable(int id) {
    Port out = ports[id];
    if (out == null) {
      return;
    }
    LosslessOverflow overflow = overflows[id];
    if (overflow != null && !overflow.isEmpty()) {
      if (overflow.moveInto(
              p -> {
                int queued =
                    offerTo(
                        out,
                        p.frame,
                        p.length,
                        p.strip,
                        p.insertTci,
                        p.packetId,
                        p.fromPort,
                        p.offload);
                if (queued < 0) {
                  out.counters().addShared(PortCounter.DROP_GSO, 1);
                  gsoDropped.add(p.packetId, p.fromPort, p.length);
                }
                return queued != 0;
              })
          > 0) {
        markDirty(id);
      }
      if (!gsoDropped.isEmpty()) {
        // their egress events are in the recording: take them back, from off this thread
        publishLater(gsoDropped.takeCommand(id, PortCounter.DROP_GSO));
      }
      if (!overflow.isEmpty()) {
        requestWritableSignal(id);
        return;
      }
      overflow.releaseSenders(this::resumeSender);
    }
    if (holds[id] != null && !held[id] && !holds[id].isEmpty()) {
      drainHold(id);
    }
  }

  private void resumeSender(int senderId) {
    if (--pausedBy[senderId] == 0 && ports[senderId] != null) {
      ports[senderId].resumeIngress();
    }
  }

  /** Applies a control command; public so unit tests can drive the forwarder on their thread. */
  public void execute(SwitchCommand command) {
    if (command instanceof SwitchCommand.AddPort c) {
      Port p = c.port();
      if (ports[p.id()] == null) {
        activeIds[activeCount++] = p.id();
      }
      ports[p.id()] = p;
      vlans[p.id()] = p.spec().vlan();
      overflows[p.id()] = p.spec().lossless() ? new LosslessOverflow() : null;
      pausedBy[p.id()] = 0;
      c.done().complete(null);
    } else if (command instanceof SwitchCommand.RemovePort c) {
      int id = c.portId();
      Port gone = ports[id];
      if (overflows[id] != null) {
        dropOverflow(id);
        overflows[id].releaseSenders(this::resumeSender);
      }
      if (gone != null) {
        gone.egressReady(); // its last drain: sent, or discarded and reported as unsent
        for (int i = 0; i < activeCount; i++) {
          if (activeIds[i] == id) {
            activeIds[i] = activeIds[--activeCount];
            break;
          }
        }
      }
      ports[id] = null;
      vlans[id] = null;
      overflows[id] = null;
      if (holds[id] != null) {
        holds[id].close();
        holds[id] = null;
      }
      held[id] = false;
      macs.removePort(id);
      c.done().complete(null);
    } else if (command instanceof SwitchCommand.AddStaticMac c) {
      macs.putStatic(c.vlan(), c.mac(), c.portId());
      c.done().complete(null);
    } else if (command instanceof SwitchCommand.LearnMac c) {
      if (ports[c.portId()] != null) {
        macs.learn(c.vlan(), c.mac(), c.portId(), clock.nanoTime());
      }
      c.done().complete(null);
    } else if (command instanceof SwitchCommand.Tick) {
      macs.age(clock.nanoTime());
    } else if (command instanceof SwitchCommand.EgressWritable c) {
      onEgressWritable(c.portId());
    } else if (command instanceof SwitchCommand.Hold c) {
      hold(c.portId(), c.epoch());
      c.done().complete(null);
    } else if (command instanceof SwitchCommand.Release c) {
      c.done().complete(release(c.portId()));
    } else if (command instanceof SwitchCommand.ExportHeld c) {
      org.vccp.vnet.hold.HoldQueue q = holds[c.portId()];
      c.result().complete(q == null ? List.of() : q.snapshot());
    } else if (command instanceof SwitchCommand.ImportHeld c) {
      if (!held[c.portId()]) {
        c.done()
            .completeExceptionally(
                new IllegalStateException("port must be held before channel state is loaded"));
        return;
      }
      for (org.vccp.vnet.hold.HeldFrame f : c.frames()) {
        holds[c.portId()].add(f);
      }
      c.done().complete(null);
    } else if (command instanceof SwitchCommand.DiscardHeld c) {
      org.vccp.vnet.hold.HoldQueue q = holds[c.portId()];
      long n = 0;
      while (q != null && q.poll() != null) {
        n++;
      }
      c.done().complete(n);
    } else if (command instanceof SwitchCommand.ListMacs c) {
      c.result().complete(macs.entries(clock.nanoTime()));
    }
  }

  /**
   * Drops a removed lossless port's overflow: its frames were recorded as queued for the port, so
   * they are counted and reported as unsent, from a pool thread (the forwarder must not publish
   * into its own ring).
   */
  private void dropOverflow(int id) {
    org.vccp.vnet.port.UnsentFrames lost = overflows[id].takeAll();
    if (lost.isEmpty()) {
      return;
    }
    ports[id].counters().addShared(PortCounter.DROP_NO_PORT, lost.size());
    publishLater(lost.takeCommand(id, PortCounter.DROP_NO_PORT));
  }

  /**
   * Publishes a command into the ring from a pool thread: never from the forwarder, its consumer.
   */
  private void publishLater(SwitchCommand command) {
    java.util.concurrent.ForkJoinPool.commonPool().execute(() -> commandSink.accept(command));
  }

  /** The id of the live port named {@code name}, or -1. */
  private int portNamed(String name) {
    for (int i = 0; i < activeCount; i++) {
      int id = activeIds[i];
      if (ports[id] != null && ports[id].name().equals(name)) {
        return id;
      }
    }
    return -1;
  }

  private void hold(int id, long epoch) {
    if (ports[id] == null) {
      return;
    }
    if (holds[id] == null) {
      holds[id] = new org.vccp.vnet.hold.HoldQueue(ports[id].name(), holdMemoryBytes, holdSpillDir);
    }
    held[id] = true;
    holding = true;
    holdEpochs[id] = epoch;
  }

  private long release(int id) {
    org.vccp.vnet.hold.HoldQueue q = holds[id];
    if (q == null || ports[id] == null) {
      return 0;
    }
    held[id] = false;
    long waiting = q.size();
    drainHold(id);
    return waiting;
  }

  private boolean anyHoldInUse() {
    for (int i = 0; i < activeCount; i++) {
      int id = activeIds[i];
      if (held[id] || (holds[id] != null && !holds[id].isEmpty())) {
        return true;
      }
    }
    return false;
  }

  /** Frames in a port's hold queue (forwarder thread only). */
  public long heldFrames(int portId) {
    return holds[portId] == null ? 0 : holds[portId].size();
  }

  /** Whether a port is held now (forwarder thread only). */
  public boolean isHeld(int portId) {
    return held[portId];
  }

  /** The MAC table, for tests on the forwarder's thread. */
  public MacTable macTable() {
    return macs;
  }

  /** Frames waiting in a lossless port's overflow list (forwarder thread only). */
  public int overflowFrames(int portId) {
    return overflows[portId] == null ? 0 : overflows[portId].size();
  }

  /** A lossless port's frames that did not fit its queue, in order, and the senders paused. */
  private static final class LosslessOverflow {
    private record Pending(
        byte[] frame,
        int length,
        boolean strip,
        int insertTci,
        long packetId,
        int fromPort,
        long offload) {}

    private final ArrayDeque<Pending> frames = new ArrayDeque<>();
    private final org.agrona.collections.IntHashSet pausedSenders =
        new org.agrona.collections.IntHashSet();

    boolean isEmpty() {
      return frames.isEmpty();
    }

    int size() {
      return frames.size();
    }

    /** Keeps a copy of the frame in {@code slot}, to queue with these edits later. */
    void add(FrameSlot slot, boolean strip, int insertTci, long packetId) {
      frames.add(
          new Pending(
              java.util.Arrays.copyOf(slot.data, slot.length),
              slot.length,
              strip,
              insertTci,
              packetId,
              slot.ingressPortId,
              slot.offload));
    }

    boolean addPausedSender(int id) {
      return pausedSenders.add(id);
    }

    /** Moves frames, oldest first, while {@code offer} takes them (queued or dropped). */
    int moveInto(java.util.function.Predicate<Pending> offer) {
      int moved = 0;
      while (!frames.isEmpty()) {
        Pending p = frames.peek();
        if (!offer.test(p)) {
          break;
        }
        frames.poll();
        moved++;
      }
      return moved;
    }

    void releaseSenders(java.util.function.IntConsumer resume) {
      for (int id : List.copyOf(pausedSenders)) {
        resume.accept(id);
      }
      pausedSenders.clear();
    }

    /** Empties the list, returning its frames' ids, ingress ports and lengths. */
    org.vccp.vnet.port.UnsentFrames takeAll() {
      org.vccp.vnet.port.UnsentFrames all = new org.vccp.vnet.port.UnsentFrames();
      for (Pending p : frames) {
        all.add(p.packetId, p.fromPort, p.length);
      }
      frames.clear();
      return all;
    }
  }
}
