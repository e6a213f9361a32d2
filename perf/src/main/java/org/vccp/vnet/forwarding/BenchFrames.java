package org.vccp.vnet.forwarding;

import org.vccp.vnet.frame.EthernetFrame;

/** Untagged IPv4-typed Ethernet frames for the forwarding benchmarks. */
final class BenchFrames {
  /** Locally administered unicast addresses for the sender and the receiver. */
  static final long SENDER_MAC = 0x02_00_00_00_00_0AL;

  static final long RECEIVER_MAC = 0x02_00_00_00_00_0BL;

  private BenchFrames() {}

  /** A frame of {@code frameBytes} from {@code source} to {@code destination}. */
  static byte[] frame(long destination, long source, int frameBytes) {
    byte[] f = new byte[frameBytes];
    EthernetFrame.putMac(f, 0, destination);
    EthernetFrame.putMac(f, 6, source);
    f[12] = 0x08;
    f[13] = 0x00;
    for (int i = EthernetFrame.HEADER_BYTES; i < frameBytes; i++) {
      f[i] = (byte) i;
    }
    return f;
  }
}
