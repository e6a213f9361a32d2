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

  /**
   * An IPv4 TCP frame (20-byte IP and TCP headers, checksums left zero) carrying {@code
   * payloadBytes}: longer than an MTU, it stands for a super-frame an interface with TSO hands
   * over.
   */
  public static byte[] tcpV4(long dst, long src, int payloadBytes) {
    byte[] f = frame(dst, src, 54 + payloadBytes, 0);
    f[12] = 8;
    f[13] = 0;
    ByteBuffer b = ByteBuffer.wrap(f, 14, 40);
    b.put((byte) 0x45).put((byte) 0).putShort((short) (40 + payloadBytes)).putInt(0x12344000);
    b.put((byte) 64).put((byte) 6).putShort((short) 0).putInt(0x0A000001).putInt(0x0A000002);
    b.putInt(0xC0011451).putInt(1000).putInt(1).putShort((short) 0x5010).putShort((short) 512);
    b.putInt(0);
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
