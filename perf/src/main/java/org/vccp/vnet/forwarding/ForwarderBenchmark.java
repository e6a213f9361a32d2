package org.vccp.vnet.forwarding;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.agrona.concurrent.SystemNanoClock;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.vccp.vnet.frame.EthernetFrame;
import org.vccp.vnet.ring.FrameSlot;
import org.vccp.vnet.status.Counters;
import org.vccp.vnet.status.PortCounter;

/**
 * The learning bridge alone, on the benchmark thread: a batch of {@value #BATCH} preallocated slots
 * through {@link Forwarder#onEvent}, the last one ending the batch, so each egress port is drained
 * once per batch as the real port's I/O thread would. One operation is one frame in.
 *
 * <ul>
 *   <li>{@code unicast}: port 0 sends to a MAC learned on port 1 (classify, learn, one lookup, one
 *       copy into port 1's queue).
 *   <li>{@code flood4}: port 0 broadcasts to four other ports (four copies).
 * </ul>
 *
 * Settings are the switch's defaults: 256 port slots ({@code -p maxPorts=8} shows what the flood's
 * scan of every slot costs), 64 Ki MAC entries, 1 MiB egress queues.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class ForwarderBenchmark {
  static final int BATCH = 64;
  static final int MAX_PORTS = 256;
  static final int QUEUE_BYTES = 1 << 20;

  @Param({"64", "1500"})
  public int frameBytes;

  @Param({"unicast", "flood4"})
  public String pattern;

  /** Port slots in the forwarder's tables; a flood scans all of them. The switch default is 256. */
  @Param({"256"})
  public int maxPorts;

  private Forwarder forwarder;
  private Counters switchCounters;
  private BenchPort[] ports;
  private FrameSlot[] slots;
  private long sequence;

  @Setup
  public void setUp() {
    switchCounters = Counters.forSwitch();
    forwarder =
        new Forwarder(
            new ForwardingSettings(maxPorts, TimeUnit.SECONDS.toNanos(300), 65_536, 65_535),
            new SystemNanoClock(),
            switchCounters,
            command -> {});
    boolean flood = pattern.equals("flood4");
    ports = new BenchPort[flood ? 5 : 2];
    for (int i = 0; i < ports.length; i++) {
      ports[i] = new BenchPort(i, QUEUE_BYTES);
      forwarder.execute(new SwitchCommand.AddPort(ports[i], new CompletableFuture<>()));
    }
    // Teach the table where the receiver is, as the generator's hello does.
    FrameSlot hello =
        slot(1, BenchFrames.frame(EthernetFrame.BROADCAST, BenchFrames.RECEIVER_MAC, 64));
    forwarder.onBatchStart(1, 1);
    forwarder.onEvent(hello, sequence++, true);

    long destination = flood ? EthernetFrame.BROADCAST : BenchFrames.RECEIVER_MAC;
    byte[] frame = BenchFrames.frame(destination, BenchFrames.SENDER_MAC, frameBytes);
    slots = new FrameSlot[BATCH];
    for (int i = 0; i < BATCH; i++) {
      slots[i] = slot(0, frame);
    }
  }

  private FrameSlot slot(int ingressPortId, byte[] frame) {
    FrameSlot s = new FrameSlot(2048, maxPorts);
    s.kind = FrameSlot.KIND_FRAME;
    s.ingressPortId = ingressPortId;
    s.length = frame.length;
    System.arraycopy(frame, 0, s.ensureCapacity(frame.length), 0, frame.length);
    return s;
  }

  /** One batch through the forwarder; the egress ports drain at its end. */
  @Benchmark
  @OperationsPerInvocation(BATCH)
  public long forwardBatch() {
    forwarder.onBatchStart(BATCH, BATCH);
    for (int i = 0; i < BATCH; i++) {
      forwarder.onEvent(slots[i], sequence++, i == BATCH - 1);
    }
    return ports[1].bytes();
  }

  /** Fails the run if any frame was dropped: the numbers would not be forwarding throughput. */
  @TearDown
  public void checkNothingDropped() {
    for (BenchPort p : ports) {
      for (PortCounter c : PortCounter.values()) {
        if (c.name().startsWith("DROP") && p.counters().get(c) != 0) {
          throw new IllegalStateException(
              "port " + p.name() + " counted " + p.counters().get(c) + " " + c);
        }
      }
    }
    if (ports[1].frames() == 0) {
      throw new IllegalStateException("nothing reached port b1: the benchmark measured nothing");
    }
  }
}
