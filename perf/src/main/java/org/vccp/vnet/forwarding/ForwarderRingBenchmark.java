package org.vccp.vnet.forwarding;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.agrona.concurrent.SystemNanoClock;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.vccp.vnet.frame.EthernetFrame;
import org.vccp.vnet.ring.FrameRing;
import org.vccp.vnet.ring.FrameSlot;
import org.vccp.vnet.ring.WaitStrategyName;
import org.vccp.vnet.status.Counters;
import org.vccp.vnet.status.SwitchCounter;

/**
 * The forwarder behind a real {@link FrameRing} (Disruptor, multi-producer, the switch's default
 * 4096 slots): the benchmark thread is the one publisher, copying each frame into a slot as a
 * port's I/O thread does, and the forwarder consumes on the ring's own thread, draining port 1 at
 * the end of every batch. One operation is one frame published; once the ring is full the publisher
 * runs at the forwarder's pace, so this is end-to-end ring throughput for 1→1 unicast.
 */
@State(Scope.Benchmark)
@Threads(1)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class ForwarderRingBenchmark {
  private static final long DRAIN_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(10);

  @Param({"64", "1500"})
  public int frameBytes;

  @Param({"BLOCKING", "PHASED", "YIELDING", "BUSY_SPIN"})
  public WaitStrategyName waitStrategy;

  private FrameRing ring;
  private Counters switchCounters;
  private byte[] frame;
  private long published;

  @Setup
  public void setUp() {
    switchCounters = Counters.forSwitch();
    Forwarder forwarder =
        new Forwarder(
            new ForwardingSettings(
                ForwarderBenchmark.MAX_PORTS, TimeUnit.SECONDS.toNanos(300), 65_536, 65_535),
            new SystemNanoClock(),
            switchCounters,
            command -> {});
    // Set up on this thread before the ring starts: starting its thread publishes this state.
    for (int i = 0; i < 2; i++) {
      BenchPort p = new BenchPort(i, ForwarderBenchmark.QUEUE_BYTES);
      forwarder.execute(new SwitchCommand.AddPort(p, new CompletableFuture<>()));
    }
    byte[] hello = BenchFrames.frame(EthernetFrame.BROADCAST, BenchFrames.RECEIVER_MAC, 64);
    FrameSlot s = new FrameSlot(2048, ForwarderBenchmark.MAX_PORTS);
    s.kind = FrameSlot.KIND_FRAME;
    s.ingressPortId = 1;
    s.length = hello.length;
    System.arraycopy(hello, 0, s.data, 0, hello.length);
    forwarder.onBatchStart(1, 1);
    forwarder.onEvent(s, 0, true);

    frame = BenchFrames.frame(BenchFrames.RECEIVER_MAC, BenchFrames.SENDER_MAC, frameBytes);
    ring = new FrameRing(4096, 2048, ForwarderBenchmark.MAX_PORTS, waitStrategy, forwarder);
    ring.start();
  }

  @Benchmark
  public void publish() {
    ring.publishFrame(0, frame, 0, frame.length);
    published++;
  }

  /** Waits for the forwarder to finish the backlog and checks that every frame was forwarded. */
  @TearDown
  public void tearDown() throws InterruptedException {
    long deadline = System.nanoTime() + DRAIN_TIMEOUT_NS;
    while (switchCounters.get(SwitchCounter.FRAMES_FORWARDED) < published) {
      if (System.nanoTime() - deadline > 0) {
        throw new IllegalStateException(
            "forwarder forwarded "
                + switchCounters.get(SwitchCounter.FRAMES_FORWARDED)
                + " of "
                + published
                + " frames within 10 s");
      }
      Thread.sleep(1);
    }
    ring.close();
  }
}
