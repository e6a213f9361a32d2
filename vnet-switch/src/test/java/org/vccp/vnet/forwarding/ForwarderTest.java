package org.vccp.vnet.forwarding;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.vccp.vnet.frame.EthernetFrame;
import org.vccp.vnet.port.PortVlan;
import org.vccp.vnet.ring.FrameSlot;
import org.vccp.vnet.status.Counters;
import org.vccp.vnet.status.PortCounter;
import org.vccp.vnet.status.SwitchCounter;
import org.vccp.vnet.testing.Frames;

/** The learning bridge, driven on the test thread with a fake clock. */
class ForwarderTest {
  private static final long A = Frames.mac(0xA);
  private static final long B = Frames.mac(0xB);
  private static final long C = Frames.mac(0xC);
  private static final long AGING_NS = TimeUnit.SECONDS.toNanos(300);

  private final long[] now = {1_000_000_000L};
  private final Counters counters = Counters.forSwitch();
  private final List<SwitchCommand> published =
      java.util.Collections.synchronizedList(new ArrayList<>());
  private Forwarder fwd;
  private final FrameSlot slot = new FrameSlot(2048, 16);

  @BeforeEach
  void setUp() {
    fwd =
        new Forwarder(
            new ForwardingSettings(16, AGING_NS, 1024, 65_535),
            () -> now[0],
            counters,
            published::add);
  }

  private FakePort add(FakePort p) {
    fwd.execute(new SwitchCommand.AddPort(p, new CompletableFuture<>()));
    return p;
  }

  private void send(FakePort from, byte[] frame) {
    send(from, frame, 0);
  }

  private void send(FakePort from, byte[] frame, long sequence) {
    slot.kind = FrameSlot.KIND_FRAME;
    slot.ingressPortId = from.id();
    slot.length = frame.length;
    System.arraycopy(frame, 0, slot.ensureCapacity(frame.length), 0, frame.length);
    fwd.onBatchStart(1, 1);
    fwd.onEvent(slot, sequence, true);
  }

  private void sendOffloaded(FakePort from, byte[] frame, long offload, long sequence) {
    slot.kind = FrameSlot.KIND_FRAME;
    slot.ingressPortId = from.id();
    slot.length = frame.length;
    slot.offload = offload;
    System.arraycopy(frame, 0, slot.ensureCapacity(frame.length), 0, frame.length);
    fwd.onBatchStart(1, 1);
    fwd.onEvent(slot, sequence, true);
    slot.offload = 0;
  }

  /**
   * A TSO super-frame leaves whole, with its offload word, through a port that passes offloads on,
   * and as MSS-sized frames, all with its packet id, through one that does not; an offload the
   * switch cannot resolve is dropped and counted there.
   */
  @Test
  void superFramesLeaveWholeOrCutDependingOnTheEgressPort() {
    FakePort in = add(new FakePort(0));
    FakePort whole = add(new FakePort(1));
    whole.acceptsOffload = true;
    FakePort cut = add(new FakePort(2));
    byte[] f = Frames.tcpV4(B, A, 10 * 1448);
    long w = org.vccp.vnet.frame.Offload.pack(1, 1, 1448, 34, 16);

    sendOffloaded(in, f, w, 77);

    assertThat(whole.takeWithOffloads())
        .singleElement()
        .satisfies(r -> assertThat(r).containsExactly(f.length, w, 77));
    List<long[]> segs = cut.takeWithOffloads();
    assertThat(segs).hasSize(10);
    assertThat(segs).allSatisfy(r -> assertThat(r).containsExactly(54 + 1448, 0, 77));
    assertThat(cut.counters().get(PortCounter.OFFLOAD_SEGMENTS)).isEqualTo(10);

    sendOffloaded(in, f, org.vccp.vnet.frame.Offload.pack(1, 3, 1448, 34, 6), 78);

    assertThat(cut.takeWithOffloads()).isEmpty();
    assertThat(cut.counters().get(PortCounter.DROP_GSO)).isEqualTo(1);
    assertThat(whole.takeWithOffloads()).hasSize(1);
  }

  /**
   * A port that sends on the forwarder thread never drops for a full queue: when one batch holds
   * more than its queue, the forwarder empties the queue mid-batch. A socket port still drops.
   */
  @Test
  void aBatchLargerThanTheQueueOfAForwarderSentPortLosesNothing() {
    FakePort in = add(new FakePort(0));
    FakePort packet = add(new FakePort(1, PortVlan.access(1), false, 128 * 1024));
    packet.sendsOnForwarder = true;
    FakePort socket = add(new FakePort(2, PortVlan.access(1), false, 128 * 1024));
    List<byte[]> frames = new ArrayList<>();
    fwd.onBatchStart(300, 300);
    for (int i = 0; i < 300; i++) {
      byte[] f = Frames.frame(EthernetFrame.BROADCAST, A, 1500, i);
      frames.add(f);
      slot.kind = FrameSlot.KIND_FRAME;
      slot.ingressPortId = in.id();
      slot.length = f.length;
      System.arraycopy(f, 0, slot.ensureCapacity(f.length), 0, f.length);
      fwd.onEvent(slot, i, i == 299);
    }

    assertThat(packet.sent).containsExactlyElementsOf(frames);
    assertThat(packet.counters().get(PortCounter.DROP_CONGESTION)).isZero();
    assertThat(socket.counters().get(PortCounter.DROP_CONGESTION))
        .as("300 x 1.5 KB into 128 KiB, read by nobody")
        .isPositive();
  }

  /**
   * A super-frame whose segments could never fit the port's queue (a tiny gso_size) is dropped as
   * drop_gso, not retried forever as "no room".
   */
  @Test
  void aSuperFrameThatCanNeverFitTheQueueIsDropped() {
    FakePort in = add(new FakePort(0));
    FakePort small = add(new FakePort(1, PortVlan.access(1), true, 128 * 1024));
    byte[] f = Frames.tcpV4(B, A, 60_000);

    sendOffloaded(in, f, org.vccp.vnet.frame.Offload.pack(1, 1, 64, 34, 16), 5);

    assertThat(small.counters().get(PortCounter.DROP_GSO)).isEqualTo(1);
    assertThat(small.take()).isEmpty();
    assertThat(in.paused).as("a lossless port does not pause its sender for it").isFalse();
  }

  private void tick() {
    fwd.execute(new SwitchCommand.Tick());
  }

  @Test
  void unknownUnicastFloodsToEveryPortButTheIngress() {
    FakePort p0 = add(new FakePort(0));
    FakePort p1 = add(new FakePort(1));
    FakePort p2 = add(new FakePort(2));
    byte[] f = Frames.frame(B, A, 60, 1);
    send(p0, f);
    assertThat(p0.take()).isEmpty();
    assertThat(p1.take()).containsExactly(f);
    assertThat(p2.take()).containsExactly(f);
    assertThat(counters.get(SwitchCounter.FRAMES_FLOODED)).isEqualTo(1);
  }

  @Test
  void learnsSourceThenUnicastsOnlyToThatPort() {
    FakePort p0 = add(new FakePort(0));
    FakePort p1 = add(new FakePort(1));
    FakePort p2 = add(new FakePort(2));
    send(p1, Frames.frame(A, B, 60, 1)); // B is on p1
    p0.take();
    p2.take();
    byte[] toB = Frames.frame(B, A, 60, 2);
    send(p0, toB);
    assertThat(p1.take()).containsExactly(toB);
    assertThat(p2.take()).isEmpty();
    assertThat(p0.take()).isEmpty();
    assertThat(fwd.macTable().lookup(1, B)).isEqualTo(1);
    assertThat(fwd.macTable().lookup(1, A)).isEqualTo(0);
    assertThat(counters.get(SwitchCounter.MAC_LEARNED)).isEqualTo(2);
    assertThat(p1.egressReadyCalls).isEqualTo(1);
    assertThat(p1.egressReadyInlineCalls).isZero();
  }

  /** Only a batch an ingress thread forwards itself (low load) lets ports write on its thread. */
  @Test
  void aBatchForwardedInlineTellsItsPortsSo() {
    FakePort p0 = add(new FakePort(0));
    FakePort p1 = add(new FakePort(1));
    send(p1, Frames.frame(A, B, 60, 1));
    fwd.forwardingInline(true);
    send(p0, Frames.frame(B, A, 60, 2));
    fwd.forwardingInline(false);
    send(p0, Frames.frame(B, A, 60, 3));
    assertThat(p1.take()).hasSize(2);
    assertThat(p1.egressReadyInlineCalls).isEqualTo(1);
    assertThat(p1.egressReadyCalls).isEqualTo(2);
  }

  @Test
  void broadcastAndMulticastFloodButNeverReturnToIngress() {
    FakePort p0 = add(new FakePort(0));
    FakePort p1 = add(new FakePort(1));
    send(p1, Frames.frame(A, B, 60, 1));
    p0.take();
    byte[] bcast = Frames.frame(EthernetFrame.BROADCAST, B, 60, 2);
    byte[] mcast = Frames.frame(0x0100_5e00_0001L, B, 60, 3);
    send(p1, bcast);
    send(p1, mcast);
    assertThat(p0.take()).containsExactly(bcast, mcast);
    assertThat(p1.take()).isEmpty();
  }

  @Test
  void destinationOnTheIngressPortIsFiltered() {
    FakePort p0 = add(new FakePort(0));
    FakePort p1 = add(new FakePort(1));
    send(p0, Frames.frame(C, A, 60, 1));
    send(p0, Frames.frame(C, B, 60, 1));
    p1.take();
    send(p0, Frames.frame(B, A, 60, 2));
    assertThat(p1.take()).isEmpty();
    assertThat(counters.get(SwitchCounter.FRAMES_FILTERED)).isEqualTo(1);
  }

  @Test
  void macMovesToTheNewPort() {
    FakePort p0 = add(new FakePort(0));
    FakePort p1 = add(new FakePort(1));
    FakePort p2 = add(new FakePort(2));
    send(p0, Frames.frame(C, A, 60, 1));
    send(p1, Frames.frame(C, A, 60, 2));
    assertThat(fwd.macTable().lookup(1, A)).isEqualTo(1);
    assertThat(counters.get(SwitchCounter.MAC_MOVED)).isEqualTo(1);
    p0.take();
    p1.take();
    p2.take();
    byte[] toA = Frames.frame(A, B, 60, 3);
    send(p2, toA);
    assertThat(p1.take()).containsExactly(toA);
    assertThat(p0.take()).isEmpty();
  }

  @Test
  void entriesAgeOutAfterTheAgingTimeAndNotBefore() {
    FakePort p0 = add(new FakePort(0));
    add(new FakePort(1));
    send(p0, Frames.frame(C, A, 60, 1));
    now[0] += AGING_NS - TimeUnit.SECONDS.toNanos(1);
    tick();
    assertThat(fwd.macTable().lookup(1, A)).isEqualTo(0);
    now[0] += TimeUnit.SECONDS.toNanos(2);
    tick();
    assertThat(fwd.macTable().lookup(1, A)).isEqualTo(-1);
    assertThat(counters.get(SwitchCounter.MAC_AGED)).isEqualTo(1);
    assertThat(counters.get(SwitchCounter.MAC_TABLE_SIZE)).isZero();
  }

  @Test
  void trafficRefreshesAnEntrySoItDoesNotAge() {
    FakePort p0 = add(new FakePort(0));
    add(new FakePort(1));
    for (int i = 0; i < 10; i++) {
      send(p0, Frames.frame(C, A, 60, i));
      now[0] += TimeUnit.SECONDS.toNanos(100);
      tick();
    }
    assertThat(fwd.macTable().lookup(1, A)).isEqualTo(0);
  }

  @Test
  void staticEntriesNeverAgeNorMove() {
    FakePort p0 = add(new FakePort(0));
    FakePort p1 = add(new FakePort(1));
    fwd.execute(new SwitchCommand.AddStaticMac(1, A, 0, new CompletableFuture<>()));
    send(p1, Frames.frame(C, A, 60, 1)); // A appears on p1: must not move
    assertThat(fwd.macTable().lookup(1, A)).isEqualTo(0);
    now[0] += AGING_NS * 10;
    tick();
    assertThat(fwd.macTable().lookup(1, A)).isEqualTo(0);
    p0.take();
    byte[] toA = Frames.frame(A, B, 60, 2);
    send(p1, toA);
    assertThat(p0.take()).containsExactly(toA);
  }

  @Test
  void multicastSourceIsDroppedAndCounted() {
    FakePort p0 = add(new FakePort(0));
    FakePort p1 = add(new FakePort(1));
    send(p0, Frames.frame(B, 0x0100_5e00_0001L, 60, 1));
    assertThat(p1.take()).isEmpty();
    assertThat(p0.counters().get(PortCounter.DROP_MULTICAST_SOURCE)).isEqualTo(1);
    assertThat(fwd.macTable().size()).isZero();
  }

  @Test
  void accessPortsOnlyReachTheirOwnVlan() {
    FakePort a10 = add(new FakePort(0, PortVlan.access(10), false, 1 << 17));
    FakePort b10 = add(new FakePort(1, PortVlan.access(10), false, 1 << 17));
    FakePort c20 = add(new FakePort(2, PortVlan.access(20), false, 1 << 17));
    byte[] f = Frames.frame(EthernetFrame.BROADCAST, A, 60, 1);
    send(a10, f);
    assertThat(b10.take()).containsExactly(f);
    assertThat(c20.take()).isEmpty();
  }

  @Test
  void trunkTagsFramesFromAccessPortsAndAccessUntagsFramesFromTrunk() {
    FakePort access = add(new FakePort(0, PortVlan.access(10), false, 1 << 17));
    BitSet vlans = new BitSet();
    vlans.set(10);
    vlans.set(20);
    FakePort trunk = add(new FakePort(1, PortVlan.trunk(vlans, 0), false, 1 << 17));
    FakePort other = add(new FakePort(2, PortVlan.access(20), false, 1 << 17));

    byte[] untagged = Frames.frame(EthernetFrame.BROADCAST, A, 100, 1);
    send(access, untagged);
    assertThat(trunk.take())
        .containsExactly(Frames.tagged(EthernetFrame.BROADCAST, A, 10, 0, 104, 1));
    assertThat(other.take()).isEmpty();

    byte[] fromTrunk = Frames.tagged(EthernetFrame.BROADCAST, B, 20, 5, 104, 2);
    send(trunk, fromTrunk);
    assertThat(other.take()).containsExactly(Frames.frame(EthernetFrame.BROADCAST, B, 100, 2));
    assertThat(access.take()).isEmpty();
  }

  @Test
  void trunkPreservesPriorityAndUsesNativeVlanUntagged() {
    BitSet vlans = new BitSet();
    vlans.set(10);
    FakePort t1 = add(new FakePort(0, PortVlan.trunk(vlans, 1), false, 1 << 17));
    FakePort t2 = add(new FakePort(1, PortVlan.trunk(vlans, 1), false, 1 << 17));
    FakePort native1 = add(new FakePort(2, PortVlan.access(1), false, 1 << 17));
    byte[] tagged = Frames.tagged(EthernetFrame.BROADCAST, A, 10, 6, 104, 1);
    send(t1, tagged);
    assertThat(t2.take()).containsExactly(tagged);
    assertThat(native1.take()).isEmpty();
    byte[] untagged = Frames.frame(EthernetFrame.BROADCAST, A, 100, 2);
    send(t1, untagged);
    assertThat(t2.take()).containsExactly(untagged);
    assertThat(native1.take()).containsExactly(untagged);
  }

  @Test
  void framesOutsideAPortsVlansAreDroppedAtIngress() {
    FakePort access = add(new FakePort(0, PortVlan.access(10), false, 1 << 17));
    BitSet vlans = new BitSet();
    vlans.set(10);
    FakePort trunk = add(new FakePort(1, PortVlan.trunk(vlans, 0), false, 1 << 17));
    send(access, Frames.tagged(EthernetFrame.BROADCAST, A, 30, 0, 104, 1));
    send(trunk, Frames.frame(EthernetFrame.BROADCAST, B, 100, 2)); // untagged, no native VLAN
    send(trunk, Frames.tagged(EthernetFrame.BROADCAST, B, 30, 0, 104, 3));
    assertThat(access.counters().get(PortCounter.DROP_VLAN)).isEqualTo(1);
    assertThat(trunk.counters().get(PortCounter.DROP_VLAN)).isEqualTo(2);
    assertThat(access.take()).isEmpty();
    assertThat(trunk.take()).isEmpty();
  }

  @Test
  void fullQueueTailDropsAndCountsOnlyThatPort() {
    FakePort in = add(new FakePort(0));
    FakePort slow = add(new FakePort(1));
    FakePort fast = add(new FakePort(2));
    int sent = 0;
    while (slow.counters().get(PortCounter.DROP_CONGESTION) == 0) {
      send(in, Frames.frame(EthernetFrame.BROADCAST, A, 1500, sent++));
      fast.take();
    }
    assertThat(fast.counters().get(PortCounter.DROP_CONGESTION)).isZero();
    assertThat(slow.take().size() + slow.counters().get(PortCounter.DROP_CONGESTION))
        .isEqualTo(sent);
    assertThat(in.paused).isFalse();
  }

  @Test
  void losslessPortPausesOnlyItsSendersAndDeliversEverythingInOrder() {
    FakePort sender = add(new FakePort(0));
    FakePort bystander = add(new FakePort(1));
    FakePort lossless = add(new FakePort(2, PortVlan.access(1), true, 128 * 1024));
    send(lossless, Frames.frame(EthernetFrame.BROADCAST, C, 60, 0)); // learn C on the lossless port
    sender.take();
    bystander.take();
    int n = 500;
    for (int i = 0; i < n; i++) {
      send(sender, Frames.frame(C, A, 1500, i));
    }
    assertThat(sender.paused).isTrue();
    assertThat(bystander.paused).isFalse();
    assertThat(fwd.overflowFrames(2)).isPositive();
    assertThat(lossless.counters().get(PortCounter.DROP_CONGESTION)).isZero();

    List<byte[]> got = new ArrayList<>(lossless.take());
    while (fwd.overflowFrames(2) > 0) {
      assertThat(lossless.writableSignal).isNotNull();
      Runnable signal = lossless.writableSignal;
      lossless.writableSignal = null;
      signal.run();
      fwd.execute(published.remove(published.size() - 1));
      got.addAll(lossless.take());
    }
    assertThat(got.size()).isEqualTo(n);
    for (int i = 0; i < n; i++) {
      assertThat(Frames.seq(got.get(i))).as("frame %d", i).isEqualTo(i);
    }
    assertThat(sender.paused).isFalse();
  }

  /**
   * Removing a lossless port drops the frames waiting in its overflow list; they were recorded as
   * queued for it, so they are counted and reported as unsent, by packet id, oldest first.
   */
  @Test
  void removingALosslessPortReportsItsOverflowAsUnsent() {
    FakePort sender = add(new FakePort(0));
    FakePort lossless = add(new FakePort(2, PortVlan.access(1), true, 128 * 1024));
    send(lossless, Frames.frame(EthernetFrame.BROADCAST, C, 60, 0), 1);
    int n = 200;
    for (int i = 0; i < n; i++) {
      send(sender, Frames.frame(C, A, 1500, i), 100 + i);
    }
    int waiting = fwd.overflowFrames(2);
    assertThat(waiting).isPositive();
    fwd.execute(new SwitchCommand.RemovePort(2, new CompletableFuture<>()));
    org.vccp.vnet.testing.Await.until(
        "the unsent report",
        java.time.Duration.ofSeconds(10),
        () -> published.stream().anyMatch(c -> c instanceof SwitchCommand.EgressUnsent));
    SwitchCommand.EgressUnsent r =
        (SwitchCommand.EgressUnsent)
            published.stream()
                .filter(c -> c instanceof SwitchCommand.EgressUnsent)
                .findFirst()
                .get();
    assertThat(r.portId()).isEqualTo(2);
    assertThat(r.reason()).isEqualTo(PortCounter.DROP_NO_PORT);
    long[] expected = new long[waiting];
    for (int i = 0; i < waiting; i++) {
      expected[i] = 100 + n - waiting + i;
    }
    assertThat(r.packetIds()).containsExactly(expected);
    assertThat(r.fromPorts()).containsOnly(0);
    assertThat(lossless.counters().get(PortCounter.DROP_NO_PORT)).isEqualTo(waiting);
    assertThat(sender.paused).isFalse();
  }

  @Test
  void linkDownPortCountsNoPortDrops() {
    FakePort p0 = add(new FakePort(0));
    FakePort p1 = add(new FakePort(1));
    p1.linkUp = false;
    send(p0, Frames.frame(B, A, 60, 1));
    assertThat(p1.counters().get(PortCounter.DROP_NO_PORT)).isEqualTo(1);
    assertThat(p1.take()).isEmpty();
  }

  @Test
  void removedPortIsForgotten() {
    FakePort p0 = add(new FakePort(0));
    FakePort p1 = add(new FakePort(1));
    FakePort p2 = add(new FakePort(2));
    send(p1, Frames.frame(C, B, 60, 1));
    fwd.execute(new SwitchCommand.RemovePort(1, new CompletableFuture<>()));
    assertThat(fwd.macTable().lookup(1, B)).isEqualTo(-1);
    p2.take();
    send(p0, Frames.frame(B, A, 60, 2));
    assertThat(p1.take()).isEmpty();
    assertThat(p2.take()).hasSize(1);
  }
}
