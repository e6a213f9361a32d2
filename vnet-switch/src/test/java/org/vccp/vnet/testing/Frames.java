package org.vccp.vnet.testing;

import java.nio.ByteBuffer;
import org.vccp.vnet.frame.EthernetFrame;

/** Builds Ethernet frames for tests. */
public final class Frames {
  public static final int TEST_ETHERTYPE = 0x88B5;

  private Frames() {}

  /** An untagged frame of {@code length} bytes whose payload starts with {@code seq}. */
  public static byte[] frame(long dst, long src, int length, long seq) {
    byte[] f = new byte[length];
    EthernetFrame.putMac(f, 0, dst);
    EthernetFrame.putMac(f, 6, src);
    f[12] = (byte) (TEST_ETHERTYPE >>> 8);
    f[13] = (byte) TEST_ETHERTYPE;
    if (length >= 22) {
      ByteBuffer.wrap(f, 14, 8).putLong(seq);
    }
    for (int i = 22; i < length; i++) {
      f[i] = (byte) (i * 31 + seq);
    }
    return f;
  }

  /** A frame with an 802.1Q tag carrying {@code vlan} (and priority {@code pcp}). */
  public static byte[] tagged(long dst, long src, int vlan, int pcp, int length, long seq) {
    byte[] plain = frame(dst, src, length - 4, seq);
    byte[] f = new byte[length];
    System.arraycopy(plain, 0, f, 0, 12);
    f[12] = (byte) 0x81;
    f[13] = 0;
    int tci = (pcp << 13) | vlan;
    f[14] = (byte) (tci >>> 8);
    f[15] = (byte) tci;
    System.arraycopy(plain, 12, f, 16, plain.length - 12);
    return f;
  }

  /** The sequence number written by {@link #frame} (untagged frames). */
  public static long seq(byte[] f) {
    int off = EthernetFrame.isVlanTagged(f, 0, f.length) ? 18 : 14;
    return ByteBuffer.wrap(f, off, 8).getLong();
  }

  public static long mac(int n) {
    return 0x5254_0000_0000L | n;
  }
}
