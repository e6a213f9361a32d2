package org.vccp.checkpoint.verify;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/** Test frames: Ethernet with IPv4 UDP (optionally a VCCPSEQ payload) or TCP segments. */
final class TestFrames {
  private TestFrames() {}

  static final long BROADCAST = 0xffffffffffffL;

  static long mac(int guest) {
    return 0x525400000000L | guest;
  }

  static int ip(int guest) {
    return (10 << 24) | guest;
  }

  static byte[] eth(long dst, long src, int type, byte[] payload) {
    ByteBuffer b = ByteBuffer.allocate(14 + Math.max(payload.length, 46));
    putMac(b, dst);
    putMac(b, src);
    b.putShort((short) type).put(payload);
    return b.array();
  }

  private static void putMac(ByteBuffer b, long mac) {
    for (int i = 5; i >= 0; i--) {
      b.put((byte) (mac >>> (8 * i)));
    }
  }

  static byte[] ipv4(int src, int dst, int proto, byte[] l4) {
    ByteBuffer b = ByteBuffer.allocate(20 + l4.length);
    b.put((byte) 0x45).put((byte) 0).putShort((short) (20 + l4.length));
    b.putShort((short) 1).putShort((short) 0x4000).put((byte) 64).put((byte) proto);
    b.putShort((short) 0).putInt(src).putInt(dst).put(l4);
    return b.array();
  }

  static byte[] udp(int sport, int dport, byte[] payload) {
    ByteBuffer b = ByteBuffer.allocate(8 + payload.length);
    b.putShort((short) sport).putShort((short) dport).putShort((short) (8 + payload.length));
    b.putShort((short) 0).put(payload);
    return b.array();
  }

  static byte[] tcp(int sport, int dport, int seq, int flags, int payloadLen) {
    ByteBuffer b = ByteBuffer.allocate(20 + payloadLen);
    b.putShort((short) sport).putShort((short) dport).putInt(seq).putInt(1);
    b.put((byte) 0x50).put((byte) flags).putShort((short) 65535).putInt(0);
    return b.array();
  }

  /** A UDP datagram from guest {@code a} to guest {@code b} carrying "VCCPSEQ n". */
  static byte[] udpSeq(int a, int b, int port, long n) {
    byte[] payload = ("VCCPSEQ " + n + "\n").getBytes(StandardCharsets.US_ASCII);
    return eth(mac(b), mac(a), 0x0800, ipv4(ip(a), ip(b), 17, udp(port, port, payload)));
  }

  /** A TCP segment with {@code len} payload bytes from guest a to guest b (ACK set). */
  static byte[] tcpSeg(int a, int b, int seq, int len) {
    return eth(mac(b), mac(a), 0x0800, ipv4(ip(a), ip(b), 6, tcp(40000, 80, seq, 0x10, len)));
  }

  /** A non-IP frame (local experimental ethertype) with a tag to make it unique. */
  static byte[] raw(long dst, int a, int tag) {
    byte[] p = new byte[46];
    ByteBuffer.wrap(p).putInt(tag);
    return eth(dst, mac(a), 0x88b5, p);
  }
}
