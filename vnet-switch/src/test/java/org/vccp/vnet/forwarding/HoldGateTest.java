package org.vccp.vnet.forwarding;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.vccp.vnet.hold.HeldFrame;
import org.vccp.vnet.port.PortVlan;
import org.vccp.vnet.ring.FrameSlot;
import org.vccp.vnet.status.Counters;
import org.vccp.vnet.status.PortCounter;
import org.vccp.vnet.testing.Frames;

/** The forwarder's hold gate on the test thread: hold, queue in order, release before newer. */
class HoldGateTest {
  private static final long A = Frames.mac(0xA);
  private static final long B = Frames.mac(0xB);
  private static final long C = Frames.mac(0xC);

  private final List<SwitchCommand> published = new ArrayList<>();
  private Forwarder fwd;
  private final FrameSlot slot = new FrameSlot(2048, 16);
  private long sequence;

  @BeforeEach
  void setUp() {
    fwd =
        new Forwarder(
            new ForwardingSettings(16, TimeUnit.SECONDS.toNanos(300), 1024, 65_535),
            () -> 1_000L,
            Counters.forSwitch(),
            published::add);
  }

  private FakePort add(FakePort p) {
    fwd.execute(new SwitchCommand.AddPort(p, new CompletableFuture<>()));
    return p;
  }

  private void send(FakePort from, byte[] frame) {
    slot.kind = FrameSlot.KIND_FRAME;
    slot.ingressPortId = from.id();
    slot.length = frame.length;
    System.arraycopy(frame, 0, slot.ensureCapacity(frame.length), 0, frame.length);
    fwd.onBatchStart(1, 1);
    fwd.onEvent(slot, sequence++, true);
  }

  /** Runs a command as the ring would: in a command slot, so released frames are attached. */
  private FrameSlot run(SwitchCommand c) {
    FrameSlot s = new FrameSlot(64, 16);
    s.kind = FrameSlot.KIND_COMMAND;
    s.command = c;
    fwd.onEvent(s, sequence++, true);
    return s;
  }

  private long release(FakePort p) {
    CompletableFuture<Long> f = new CompletableFuture<>();
    run(new SwitchCommand.Release(p.id(), f));
    return f.join();
  }

  /**
   * A super-frame held for a port keeps its offload word through the hold and the checkpoint's
   * export; on release it leaves whole (with the word) through a port that takes offloads and as
   * MSS-sized frames through one that does not. An unresolvable one is never held.
   */
  @Test
  void heldSuperFramesKeepTheirOffloadAndLeaveWholeOrCut() {
    FakePort in = add(new FakePort(0));
    FakePort whole = add(new FakePort(1));
    whole.acceptsOffload = true;
    FakePort cut = add(new FakePort(2));
    long w = org.vccp.vnet.frame.Offload.pack(1, 1, 1448, 34, 16);
    run(new SwitchCommand.Hold(whole.id(), 4, new CompletableFuture<>()));
    run(new SwitchCommand.Hold(cut.id(), 4, new CompletableFuture<>()));
    byte[] f = Frames.tcpV4(B, A, 5 * 1448);
    slot.offload = w;
    send(in, f); // unknown B: flooded to both held ports
    slot.offload = org.vccp.vnet.frame.Offload.pack(1, 3, 1448, 34, 6); // UDP fragmentation
    send(in, f);
    slot.offload = 0;

    CompletableFuture<List<HeldFrame>> export = new CompletableFuture<>();
    run(new SwitchCommand.ExportHeld(cut.id(), export));
    assertThat(export.join()).singleElement().satisfies(h -> assertThat(h.offload()).isEqualTo(w));
    assertThat(cut.counters().get(PortCounter.DROP_GSO)).as("never held").isEqualTo(1);
    assertThat(whole.counters().get(PortCounter.HELD_FRAMES)).isEqualTo(2);

    release(whole);
    release(cut);

    assertThat(whole.takeWithOffloads())
        .extracting(r -> r[1])
        .containsExactly(w, org.vccp.vnet.frame.Offload.pack(1, 3, 1448, 34, 6));
    List<long[]> segments = cut.takeWithOffloads();
    assertThat(segments).hasSize(5);
    assertThat(segments).extracting(r -> r[0]).containsOnly(54L + 1448);
    assertThat(segments).extracting(r -> r[1]).containsOnly(0L);
    assertThat(segments).extracting(r -> r[2]).as("the super-frame's packet id").hasSize(5);
    assertThat(segments.stream().map(r -> r[2]).distinct()).hasSize(1);
  }

  @Test
  void heldFramesWaitAndLeaveInOrderBeforeNewerOnes() {
    FakePort p0 = add(new FakePort(0));
    FakePort p1 = add(new FakePort(1));
    FakePort p2 = add(new FakePort(2));
    send(p1, Frames.frame(A, B, 60, 0)); // learn B on p1
    p0.take();
    p2.take();
    run(new SwitchCommand.Hold(p1.id(), 7, new CompletableFuture<>()));
    for (int i = 1; i <= 50; i++) {
      send(p0, Frames.frame(B, A, 60, i));
    }
    send(p2, Frames.frame(org.vccp.vnet.frame.EthernetFrame.BROADCAST, C, 60, 51));
    assertThat(p1.take()).isEmpty();
    assertThat(p0.take()).hasSize(1);
    assertThat(p1.counters().get(PortCounter.HELD_FRAMES)).isEqualTo(51);

    CompletableFuture<List<HeldFrame>> export = new CompletableFuture<>();
    run(new SwitchCommand.ExportHeld(p1.id(), export));
    List<HeldFrame> channel = export.join();
    assertThat(channel)
        .extracting(h -> Frames.seq(h.frame()))
        .containsExactlyElementsOf(seqs(1, 51));
    assertThat(channel).extracting(HeldFrame::epoch).containsOnly(7L);
    assertThat(channel.get(0).origin()).isEqualTo("p0");
    assertThat(channel.get(50).origin()).isEqualTo("p2");

    assertThat(release(p1)).isEqualTo(51);
    send(p0, Frames.frame(B, A, 60, 52));
    assertThat(p1.take()).extracting(Frames::seq).containsExactlyElementsOf(seqs(1, 52));
    assertThat(p1.counters().get(PortCounter.RELEASED_FRAMES)).isEqualTo(51);
  }

  @Test
  void aReleaseBiggerThanTheQueueDrainsThroughWritableSignalsAndNewerFramesWaitBehindIt() {
    FakePort p0 = add(new FakePort(0));
    FakePort p1 = add(new FakePort(1, PortVlan.access(1), false, 128 * 1024));
    send(p1, Frames.frame(A, B, 60, 0));
    p0.take();
    run(new SwitchCommand.Hold(p1.id(), 1, new CompletableFuture<>()));
    for (int i = 1; i <= 1000; i++) {
      send(p0, Frames.frame(B, A, 1000, i)); // ~1 MB, eight queues' worth
    }
    FrameSlot releasedIn = new FrameSlot(64, 16);
    releasedIn.kind = FrameSlot.KIND_COMMAND;
    CompletableFuture<Long> f = new CompletableFuture<>();
    releasedIn.command = new SwitchCommand.Release(p1.id(), f);
    fwd.onEvent(releasedIn, sequence++, true);
    assertThat(f.join()).isEqualTo(1000);
    assertThat(releasedIn.released).isNotEmpty().hasSizeLessThan(1000);
    assertThat(releasedIn.releasedPort).isEqualTo(p1.id());
    send(p0, Frames.frame(B, A, 1000, 1001)); // newer: must queue behind the rest
    List<Long> got = new ArrayList<>();
    for (int round = 0; round < 100 && got.size() < 1001; round++) {
      p1.take().forEach(b -> got.add(Frames.seq(b)));
      if (p1.writableSignal != null) {
        Runnable s = p1.writableSignal;
        p1.writableSignal = null;
        s.run();
        for (SwitchCommand c : List.copyOf(published)) {
          published.remove(c);
          run(c);
        }
      }
    }
    assertThat(got).containsExactlyElementsOf(seqs(1, 1001));
  }

  @Test
  void loadedChannelStateIsReplayedFirstAndMarkedReplayed() {
    FakePort p0 = add(new FakePort(0));
    FakePort p1 = add(new FakePort(1));
    run(new SwitchCommand.Hold(p1.id(), 3, new CompletableFuture<>()));
    List<HeldFrame> state = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      state.add(new HeldFrame(100 + i, "p0", 3, true, Frames.frame(B, A, 60, i)));
    }
    run(new SwitchCommand.ImportHeld(p1.id(), state, new CompletableFuture<>()));
    send(p0, Frames.frame(B, A, 60, 4)); // unknown B: flooded, so held behind the state
    FrameSlot r = run(new SwitchCommand.Release(p1.id(), new CompletableFuture<>()));
    assertThat(r.released).extracting(HeldFrame::replayed).containsExactly(true, true, true, false);
    assertThat(p1.take()).extracting(Frames::seq).containsExactly(1L, 2L, 3L, 4L);
  }

  @Test
  void loadingChannelStateIntoAPortThatIsNotHeldIsRefused() {
    FakePort p1 = add(new FakePort(1));
    CompletableFuture<Void> done = new CompletableFuture<>();
    run(new SwitchCommand.ImportHeld(p1.id(), List.of(), done));
    assertThat(done).isCompletedExceptionally();
  }

  private static List<Long> seqs(long from, long to) {
    List<Long> l = new ArrayList<>();
    for (long i = from; i <= to; i++) {
      l.add(i);
    }
    return l;
  }
}
