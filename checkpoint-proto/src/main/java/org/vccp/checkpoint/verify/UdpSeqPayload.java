package org.vccp.checkpoint.verify;

/**
 * The guest workload {@code udp-seq-send} ({@code vccp-udp seq-send}, qemu-tap-glue): magic {@code
 * "VCCPSEQ1"}, a 32-bit flow id, a 64-bit sequence number (1..COUNT; 0 is the hello/ack handshake,
 * ignored here), a 64-bit send time, zero padding; integers big-endian.
 *
 * <pre>
 *   0      8        12               20               28
 *   |VCCPSEQ1|flow id |   sequence     |  sender ns     | padding ...
 * </pre>
 */
public final class UdpSeqPayload implements SequencePayload {
  private static final byte[] MAGIC = {'V', 'C', 'C', 'P', 'S', 'E', 'Q', '1'};

  @Override
  public String name() {
    return "udp-seq";
  }

  @Override
  public long sequence(byte[] a, int off, int len) {
    if (len < 28) {
      return -1;
    }
    for (int i = 0; i < MAGIC.length; i++) {
      if (a[off + i] != MAGIC[i]) {
        return -1;
      }
    }
    long seq = Frames.i64(a, off + 12);
    return seq <= 0 ? -1 : seq;
  }

  @Override
  public long stream(byte[] a, int off, int len) {
    return Frames.i32(a, off + 8) & 0xffffffffL;
  }
}
