package org.vccp.qemu.sim;

import java.nio.ByteBuffer;

/**
 * Ethernet II frames the simulated guest's tiny IPv4 stack sends and understands: ARP over Ethernet
 * and IPv4/UDP with real header and UDP checksums, so tshark decodes them like a Linux guest's.
 * Frames carry no FCS (the stream netdev has none) and are padded to 60 bytes.
 *
 * <pre>
 *  Ethernet  0 dst MAC(6)  6 src MAC(6)  12 ethertype(2)  14 payload
 *  ARP      14 htype=1(2) ptype=0x0800(2) hlen=6 plen=4 op(2) 22 sha(6) 28 spa(4) 32 tha(6) 38 tpa(4)
 *  IPv4     14 0x45 tos len(2) id(2) flags/frag(2) ttl proto cksum(2) 26 src(4) 30 dst(4)
 *  UDP      34 sport(2) dport(2) len(2) cksum(2) 42 data
 * </pre>
 *
 * MACs travel as the low 48 bits of a long and IPv4 addresses as an int, so parsing allocates
 * nothing but the UDP payload it hands on.
 */
final class Frames {

  static final int ETHERTYPE_IPV4 = 0x0800;
  static final int ETHERTYPE_ARP = 0x0806;
  static final int ARP_REQUEST = 1;
  static final int ARP_REPLY = 2;
  static final int PROTO_UDP = 17;
  static final long BROADCAST = 0xffff_ffff_ffffL;
  static final int MIN_FRAME_BYTES = 60;
  static final int ETH_HEADER = 14;
  static final int IPV4_HEADER = 20;
  static final int UDP_HEADER = 8;
  static final int UDP_DATA_OFFSET = ETH_HEADER + IPV4_HEADER + UDP_HEADER;

  private Frames() {}

  /** A received UDP datagram addressed to us. */
  record Udp(long srcMac, int srcIp, int srcPort, int dstIp, int dstPort, byte[] data) {}

  /** A received ARP packet. */
  record Arp(int op, long senderMac, int senderIp, int targetIp) {}

  static long dstMac(byte[] f) {
    return mac(f, 0);
  }

  static long srcMac(byte[] f) {
    return mac(f, 6);
  }

  static int etherType(byte[] f) {
    return f.length < ETH_HEADER ? -1 : u16(f, 12);
  }

  static byte[] arp(int op, long srcMac, int srcIp, long dstMac, long targetMac, int targetIp) {
    ByteBuffer b = ByteBuffer.allocate(MIN_FRAME_BYTES);
    putMac(b, dstMac);
    putMac(b, srcMac);
    b.putShort((short) ETHERTYPE_ARP);
    b.putShort((short) 1).putShort((short) ETHERTYPE_IPV4).put((byte) 6).put((byte) 4);
    b.putShort((short) op);
    putMac(b, srcMac);
    b.putInt(srcIp);
    putMac(b, targetMac);
    b.putInt(targetIp);
    return b.array();
  }

  /** The ARP packet in {@code f}, or null if it is not a well-formed Ethernet/IPv4 ARP packet. */
  static Arp parseArp(byte[] f) {
    if (f.length < ETH_HEADER + 28 || etherType(f) != ETHERTYPE_ARP) {
      return null;
    }
    if (u16(f, 14) != 1 || u16(f, 16) != ETHERTYPE_IPV4 || f[18] != 6 || f[19] != 4) {
      return null;
    }
    return new Arp(u16(f, 20), mac(f, 22), i32(f, 28), i32(f, 38));
  }

  /** An Ethernet/IPv4/UDP frame with both checksums, padded to the Ethernet minimum. */
  static byte[] udp(
      long srcMac,
      long dstMac,
      int srcIp,
      int dstIp,
      int ipId,
      int srcPort,
      int dstPort,
      byte[] data,
      int dataLen) {
    int udpLen = UDP_HEADER + dataLen;
    int ipLen = IPV4_HEADER + udpLen;
    byte[] f = new byte[Math.max(MIN_FRAME_BYTES, ETH_HEADER + ipLen)];
    ByteBuffer b = ByteBuffer.wrap(f);
    putMac(b, dstMac);
    putMac(b, srcMac);
    b.putShort((short) ETHERTYPE_IPV4);
    b.put((byte) 0x45).put((byte) 0).putShort((short) ipLen).putShort((short) ipId);
    b.putShort((short) 0x4000).put((byte) 64).put((byte) PROTO_UDP).putShort((short) 0);
    b.putInt(srcIp).putInt(dstIp);
    b.putShort((short) srcPort).putShort((short) dstPort).putShort((short) udpLen);
    b.putShort((short) 0);
    b.put(data, 0, dataLen);
    putU16(f, 24, checksum(f, ETH_HEADER, IPV4_HEADER, 0));
    int udpSum = checksum(f, ETH_HEADER + IPV4_HEADER, udpLen, pseudoHeaderSum(f, udpLen));
    putU16(f, 40, udpSum == 0 ? 0xffff : udpSum);
    return f;
  }

  /**
   * The UDP datagram in {@code f}, or null when it is not IPv4/UDP, is fragmented, or either
   * checksum is wrong (a Linux stack drops those silently too).
   */
  static Udp parseUdp(byte[] f) {
    if (f.length < UDP_DATA_OFFSET || etherType(f) != ETHERTYPE_IPV4 || f[14] != 0x45) {
      return null;
    }
    int ipLen = u16(f, 16);
    if ((f[23] & 0xff) != PROTO_UDP
        || ipLen < IPV4_HEADER + UDP_HEADER
        || ETH_HEADER + ipLen > f.length
        || (u16(f, 20) & 0x3fff) != 0
        || checksum(f, ETH_HEADER, IPV4_HEADER, 0) != 0) {
      return null;
    }
    int udpLen = u16(f, 38);
    if (udpLen < UDP_HEADER || udpLen > ipLen - IPV4_HEADER) {
      return null;
    }
    if (u16(f, 40) != 0
        && checksum(f, ETH_HEADER + IPV4_HEADER, udpLen, pseudoHeaderSum(f, udpLen)) != 0) {
      return null;
    }
    byte[] data = new byte[udpLen - UDP_HEADER];
    System.arraycopy(f, UDP_DATA_OFFSET, data, 0, data.length);
    return new Udp(mac(f, 6), i32(f, 26), u16(f, 34), i32(f, 30), u16(f, 36), data);
  }

  /** RFC 1071 one's-complement sum of {@code len} bytes from {@code off}, folded and inverted. */
  static int checksum(byte[] f, int off, int len, long initial) {
    long sum = initial;
    for (int i = 0; i + 1 < len; i += 2) {
      sum += u16(f, off + i);
    }
    if ((len & 1) != 0) {
      sum += (f[off + len - 1] & 0xff) << 8;
    }
    while ((sum >>> 16) != 0) {
      sum = (sum & 0xffff) + (sum >>> 16);
    }
    return (int) (~sum & 0xffff);
  }

  private static long pseudoHeaderSum(byte[] f, int udpLen) {
    return (long) u16(f, 26) + u16(f, 28) + u16(f, 30) + u16(f, 32) + PROTO_UDP + udpLen;
  }

  static long parseMac(String text) {
    String[] parts = text.split(":");
    if (parts.length != 6) {
      throw new IllegalArgumentException(
          "MAC " + text + " is not six hex pairs like 52:54:00:00:00:01");
    }
    long mac = 0;
    for (String part : parts) {
      if (!part.matches("[0-9A-Fa-f]{2}")) {
        throw new IllegalArgumentException(
            "MAC " + text + " is not six hex pairs like 52:54:00:00:00:01");
      }
      mac = (mac << 8) | Integer.parseInt(part, 16);
    }
    return mac;
  }

  static String formatMac(long mac) {
    StringBuilder s = new StringBuilder(17);
    for (int shift = 40; shift >= 0; shift -= 8) {
      if (shift != 40) {
        s.append(':');
      }
      s.append(String.format("%02x", (mac >>> shift) & 0xff));
    }
    return s.toString();
  }

  static int parseIpv4(String text) {
    String[] parts = text.split("\\.", -1);
    if (parts.length != 4) {
      throw new IllegalArgumentException("IPv4 address " + text + " is not like 10.0.0.1");
    }
    int ip = 0;
    for (String part : parts) {
      int octet;
      try {
        octet = Integer.parseInt(part);
      } catch (NumberFormatException e) {
        octet = -1;
      }
      if (octet < 0 || octet > 255 || !part.matches("\\d{1,3}")) {
        throw new IllegalArgumentException("IPv4 address " + text + " is not like 10.0.0.1");
      }
      ip = (ip << 8) | octet;
    }
    return ip;
  }

  static String formatIpv4(int ip) {
    return (ip >>> 24) + "." + ((ip >>> 16) & 0xff) + "." + ((ip >>> 8) & 0xff) + "." + (ip & 0xff);
  }

  private static void putMac(ByteBuffer b, long mac) {
    b.putShort((short) (mac >>> 32)).putInt((int) mac);
  }

  private static long mac(byte[] f, int off) {
    return ((long) u16(f, off) << 32) | (i32(f, off + 2) & 0xffff_ffffL);
  }

  private static void putU16(byte[] f, int off, int v) {
    f[off] = (byte) (v >>> 8);
    f[off + 1] = (byte) v;
  }

  static int u16(byte[] f, int off) {
    return ((f[off] & 0xff) << 8) | (f[off + 1] & 0xff);
  }

  static int i32(byte[] f, int off) {
    return ((f[off] & 0xff) << 24)
        | ((f[off + 1] & 0xff) << 16)
        | ((f[off + 2] & 0xff) << 8)
        | (f[off + 3] & 0xff);
  }
}
