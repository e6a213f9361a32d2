package org.vccp.vnet.record;

import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * What the recorder pays to encode one frame's two events (ingress EPB with the whole frame, egress
 * EPB cut to 128 bytes) into {@link PcapngWriter}'s buffer, apart from the disk: the channel takes
 * the bytes and discards them. Throughput is frames per second on one thread.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class PcapngWriterBenchmark {
  @Param({"64", "1500"})
  public int frameBytes;

  private byte[] frame;
  private PcapngWriter writer;
  private long ts = 1_700_000_000_000_000_000L;
  private long id;

  @Setup
  public void setUp() {
    frame = new byte[frameBytes];
    for (int i = 0; i < frame.length; i++) {
      frame[i] = (byte) i;
    }
    WritableByteChannel discard =
        new WritableByteChannel() {
          @Override
          public int write(ByteBuffer src) {
            int n = src.remaining();
            src.position(src.limit());
            return n;
          }

          @Override
          public boolean isOpen() {
            return true;
          }

          @Override
          public void close() {}
        };
    writer = new PcapngWriter(discard, 4 * 1024 * 1024);
    writer.writeSectionHeader("bench", "bench");
    writer.addInterface("p0", null, PcapngWriter.LINKTYPE_ETHERNET, 65_535);
    writer.addInterface("p1", null, PcapngWriter.LINKTYPE_ETHERNET, 65_535);
  }

  @Benchmark
  public int ingressAndEgress() {
    long t = ts++;
    long packet = id++;
    int n = frame.length;
    writer.writePacket(0, t, frame, 0, n, n, PcapngWriter.FLAGS_INBOUND, packet, (byte[]) null);
    writer.writePacket(
        1,
        t + 1,
        frame,
        0,
        Math.min(n, 128),
        n,
        PcapngWriter.FLAGS_OUTBOUND,
        packet,
        (byte[]) null);
    return writer.buffered();
  }
}
