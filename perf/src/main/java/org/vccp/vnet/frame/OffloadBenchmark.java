package org.vccp.vnet.frame;

import java.nio.ByteBuffer;
import java.util.Random;
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
 * What the forwarder pays to resolve one offloaded super-frame for a port that takes no offloads
 * ({@link Offload#resolve}): a TCP/IPv4 frame of {@code payloadBytes} cut into 1,448-byte segments
 * with every header and checksum rewritten, or only its checksum completed ({@code checksumOnly}).
 * Throughput is super-frames per second; multiply by the payload for bytes.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class OffloadBenchmark {
  private static final int MSS = 1448;

  @Param({"1448", "65160"})
  public int payloadBytes;

  private byte[] frame;
  private long segmentWord;
  private long checksumWord;
  private final Offload.Segments out = new Offload.Segments();

  @Setup
  public void setUp() {
    frame = new byte[54 + payloadBytes];
    new Random(1).nextBytes(frame);
    ByteBuffer b = ByteBuffer.wrap(frame);
    b.putShort(12, (short) 0x0800);
    b.position(14);
    b.put((byte) 0x45).put((byte) 0).putShort((short) (40 + payloadBytes)).putInt(0x12344000);
    b.put((byte) 64).put((byte) 6).putShort((short) 0).putInt(0x0A000001).putInt(0x0A000002);
    b.putInt(0xC0011451).putInt(1000).putInt(1).putShort((short) 0x5010).putShort((short) 512);
    segmentWord = Offload.pack(Offload.FLAG_NEEDS_CSUM, Offload.GSO_TCPV4, MSS, 34, 16);
    checksumWord = Offload.pack(Offload.FLAG_NEEDS_CSUM, Offload.GSO_NONE, 0, 34, 16);
  }

  @Benchmark
  public int segment() {
    return Offload.resolve(frame, frame.length, segmentWord, out);
  }

  @Benchmark
  public int checksumOnly() {
    return Offload.resolve(frame, frame.length, checksumWord, out);
  }
}
