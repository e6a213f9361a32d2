package org.vccp.qemu.sim;

import java.nio.charset.StandardCharsets;

/**
 * The udp-seq datagram the real guests' {@code vccp-udp} helper sends (qemu-tap-glue/README.md),
 * all integers big-endian:
 *
 * <pre>
 *   0  8  magic "VCCPSEQ1"
 *   8  4  flow id
 *  12  8  sequence number: 1, 2, ... for data; 0 for the hello/ack handshake
 *  20  8  sender's monotonic clock in ns when sent (informative only)
 *  28  .. zero padding up to the datagram size
 * </pre>
 */
final class UdpSeqPayload {
  static final int HEADER_BYTES = 28;
  static final int MAX_BYTES = 1472;
  private static final byte[] MAGIC = "VCCPSEQ1".getBytes(StandardCharsets.US_ASCII);

  private UdpSeqPayload() {}

  static byte[] encode(int flow, long seq, long clockNs, int bytes) {
    byte[] data = new byte[Math.max(HEADER_BYTES, bytes)];
    System.arraycopy(MAGIC, 0, data, 0, MAGIC.length);
    putLong(data, 8, flow & 0xffff_ffffL, 4);
    putLong(data, 12, seq, 8);
    putLong(data, 20, clockNs, 8);
    return data;
  }

  /** True when {@code data} starts with a udp-seq header. */
  static boolean matches(byte[] data) {
    if (data.length < HEADER_BYTES) {
      return false;
    }
    for (int i = 0; i < MAGIC.length; i++) {
      if (data[i] != MAGIC[i]) {
        return false;
      }
    }
    return true;
  }

  static int flow(byte[] data) {
    return (int) getLong(data, 8, 4);
  }

  static long seq(byte[] data) {
    return getLong(data, 12, 8);
  }

  private static void putLong(byte[] b, int off, long v, int n) {
    for (int i = n - 1; i >= 0; i--, v >>>= 8) {
      b[off + i] = (byte) v;
    }
  }

  private static long getLong(byte[] b, int off, int n) {
    long v = 0;
    for (int i = 0; i < n; i++) {
      v = (v << 8) | (b[off + i] & 0xff);
    }
    return v;
  }
}
