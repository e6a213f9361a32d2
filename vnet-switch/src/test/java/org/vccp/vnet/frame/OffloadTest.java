package org.vccp.vnet.frame;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vccp.vnet.record.PcapngWriter;
import org.vccp.vnet.testing.Tshark;

/**
 * Super-frames as a Linux interface with offloads hands them over (one TCP or UDP packet of up to
 * 64 KiB, checksum unfinished), cut into the frames they stand for. Every segment is checked
 * against the original with a checksum routine of the test's own, and once by tshark.
 */
class OffloadTest {
  private static final int MSS = 1448;
  private final Random random = new Random(7);

  /** A TCP super-frame: Ethernet [+ 802.1Q], IPv4 or IPv6, TCP with 12 bytes of options. */
  private byte[] tcpSuperFrame(boolean v6, boolean vlan, int payloadBytes, int tcpFlags) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.writeBytes(new byte[] {2, 0, 0, 0, 0, 0xB, 2, 0, 0, 0, 0, 0xA});
    if (vlan) {
      b.writeBytes(new byte[] {(byte) 0x81, 0, 0, 10});
    }
    b.writeBytes(v6 ? new byte[] {(byte) 0x86, (byte) 0xDD} : new byte[] {8, 0});
    int tcpLen = 32 + payloadBytes;
    if (v6) {
      b.writeBytes(new byte[] {0x60, 0, 0, 0, (byte) (tcpLen >>> 8), (byte) tcpLen, 6, 64});
      b.writeBytes(new byte[] {(byte) 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
      b.writeBytes(new byte[] {(byte) 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2});
    } else {
      int total = 20 + tcpLen;
      b.writeBytes(new byte[] {0x45, 0, (byte) (total >>> 8), (byte) total, 0x12, 0x34, 0x40, 0});
      b.writeBytes(new byte[] {64, 6, 0, 0, 10, 99, 0, 1, 10, 99, 0, 2});
    }
    b.writeBytes(new byte[] {(byte) 0xC0, 0x01, 0x14, (byte) 0x51}); // ports 49153 -> 5201
    b.writeBytes(new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xF0, 0x00}); // seq: wraps
    b.writeBytes(new byte[] {0, 0, 0, 1, (byte) 0x80, (byte) tcpFlags, 0x01, (byte) 0xF5});
    b.writeBytes(new byte[] {0, 0, 0, 0}); // checksum, urgent pointer
    b.writeBytes(new byte[] {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2}); // NOP NOP timestamps
    byte[] payload = new byte[payloadBytes];
    random.nextBytes(payload);
    b.writeBytes(payload);
    return b.toByteArray();
  }

  private static int ipAt(byte[] f) {
    return (f[12] & 0xFF) == 0x81 ? 18 : 14;
  }

  private static long word(byte[] f, int gsoType) {
    int l3 = ipAt(f);
    int l4 = l3 + ((f[l3] & 0xF0) == 0x40 ? 20 : 40);
    return Offload.pack(Offload.FLAG_NEEDS_CSUM, gsoType, MSS, l4, gsoType == 5 ? 6 : 16);
  }

  // --- the test's own checksum, 16 bits at a time ---

  private static int onesSum(byte[] b, int off, int len, int acc) {
    long s = acc;
    for (int i = 0; i < len; i += 2) {
      int hi = b[off + i] & 0xFF;
      int lo = i + 1 < len ? b[off + i + 1] & 0xFF : 0;
      s += (hi << 8) | lo;
    }
    while (s > 0xFFFF) {
      s = (s & 0xFFFF) + (s >> 16);
    }
    return (int) s;
  }

  /** Whether the IPv4 header and the TCP/UDP checksum of frame {@code f} verify. */
  private static boolean checksumsValid(byte[] f) {
    int l3 = ipAt(f);
    boolean v4 = (f[l3] & 0xF0) == 0x40;
    int l4;
    int l4Len;
    int proto;
    int pseudo;
    if (v4) {
      if (onesSum(f, l3, 20, 0) != 0xFFFF) {
        return false;
      }
      l4 = l3 + 20;
      l4Len = (((f[l3 + 2] & 0xFF) << 8) | (f[l3 + 3] & 0xFF)) - 20;
      proto = f[l3 + 9];
      pseudo = onesSum(f, l3 + 12, 8, 0);
    } else {
      l4 = l3 + 40;
      l4Len = ((f[l3 + 4] & 0xFF) << 8) | (f[l3 + 5] & 0xFF);
      proto = f[l3 + 6];
      pseudo = onesSum(f, l3 + 8, 32, 0);
    }
    assertThat(l4 + l4Len).as("IP length matches the frame").isEqualTo(f.length);
    return onesSum(f, l4, l4Len, onesSum(new byte[] {0, (byte) proto}, 0, 2, pseudo + l4Len))
        == 0xFFFF;
  }

  private static List<byte[]> segments(Offload.Segments out, int n) {
    List<byte[]> list = new ArrayList<>();
    int at = 0;
    for (int i = 0; i < n; i++) {
      list.add(java.util.Arrays.copyOfRange(out.bytes(), at, at + out.length(i)));
      at += out.length(i);
    }
    return list;
  }

  private static long seq(byte[] f, int l4) {
    return ((f[l4 + 4] & 0xFFL) << 24)
        | ((f[l4 + 5] & 0xFFL) << 16)
        | ((f[l4 + 6] & 0xFFL) << 8)
        | (f[l4 + 7] & 0xFFL);
  }

  private void assertTcpSegmentation(boolean v6, boolean vlan) {
    int payload = 45 * MSS + 100; // 46 segments, the last one short
    byte[] f = tcpSuperFrame(v6, vlan, payload, 0x18 | 0x01 | 0x80); // ACK PSH FIN CWR
    int hdr = ipAt(f) + (v6 ? 40 : 20) + 32;
    Offload.Segments out = new Offload.Segments();

    int n = Offload.resolve(f, f.length, word(f, v6 ? 4 : 1), out);

    assertThat(n).isEqualTo(46);
    List<byte[]> segs = segments(out, n);
    ByteArrayOutputStream joined = new ByteArrayOutputStream();
    int l4 = hdr - 32;
    for (int i = 0; i < n; i++) {
      byte[] s = segs.get(i);
      assertThat(s.length).isEqualTo(hdr + (i < n - 1 ? MSS : 100));
      assertThat(checksumsValid(s)).as("segment %d checksums", i).isTrue();
      assertThat(seq(s, l4)).isEqualTo((0xFFFF_F000L + (long) i * MSS) & 0xFFFF_FFFFL);
      int flags = s[l4 + 13] & 0xFF;
      assertThat(flags & 0x10).as("ACK on every segment").isEqualTo(0x10);
      assertThat(flags & 0x09).as("PSH, FIN only last").isEqualTo(i == n - 1 ? 0x09 : 0);
      assertThat(flags & 0x80).as("CWR only first").isEqualTo(i == 0 ? 0x80 : 0);
      if (!v6) {
        int id = ((s[ipAt(s) + 4] & 0xFF) << 8) | (s[ipAt(s) + 5] & 0xFF);
        assertThat(id).isEqualTo(0x1234 + i);
      }
      assertThat(java.util.Arrays.copyOfRange(s, 0, l4 - (v6 ? 40 : 20)))
          .as("L2 header")
          .isEqualTo(java.util.Arrays.copyOfRange(f, 0, l4 - (v6 ? 40 : 20)));
      joined.write(s, hdr, s.length - hdr);
    }
    assertThat(
            java.util.Arrays.equals(
                joined.toByteArray(), java.util.Arrays.copyOfRange(f, hdr, f.length)))
        .as("the segments' payloads, joined, are the super-frame's payload")
        .isTrue();
  }

  @Test
  void tcpOverIpv4IsCutIntoMssSegmentsWithValidChecksums() {
    assertTcpSegmentation(false, false);
  }

  @Test
  void tcpOverIpv6BehindAVlanTagIsCutToo() {
    assertTcpSegmentation(true, true);
  }

  @Test
  void udpSegmentationOffloadMakesDatagramsOfGsoSize() {
    byte[] tcp = tcpSuperFrame(false, false, 3 * MSS - 12, 0x10);
    // turn it into UDP: protocol 17, an 8-byte header where the TCP one was
    byte[] f = new byte[tcp.length - 24];
    System.arraycopy(tcp, 0, f, 0, 34);
    f[23] = 17;
    int total = f.length - 14;
    f[16] = (byte) (total >>> 8);
    f[17] = (byte) total;
    System.arraycopy(tcp, 66, f, 42, tcp.length - 66);
    f[34] = 0x30;
    f[35] = 0x39;
    f[36] = 0x30;
    f[37] = 0x3A;
    Offload.Segments out = new Offload.Segments();

    int n = Offload.resolve(f, f.length, Offload.pack(1, Offload.GSO_UDP_L4, MSS, 34, 6), out);

    assertThat(n).isEqualTo(3);
    for (byte[] s : segments(out, n)) {
      assertThat(checksumsValid(s)).isTrue();
      assertThat(((s[38] & 0xFF) << 8) | (s[39] & 0xFF)).isEqualTo(s.length - 34);
    }
  }

  /** NEEDS_CSUM alone: the field holds the pseudo-header sum; the rest is summed in. */
  @Test
  void aPartialChecksumIsCompleted() {
    byte[] f = tcpSuperFrame(false, false, 1000, 0x18);
    int pseudo = onesSum(f, 26, 8, 0) + 6 + 32 + 1000;
    pseudo = (pseudo & 0xFFFF) + (pseudo >>> 16);
    f[50] = (byte) (pseudo >>> 8);
    f[51] = (byte) pseudo;
    f[24] = 0;
    f[25] = 0;
    int ipSum = ~onesSum(f, 14, 20, 0) & 0xFFFF;
    f[24] = (byte) (ipSum >>> 8);
    f[25] = (byte) ipSum;
    assertThat(checksumsValid(f)).as("before").isFalse();
    Offload.Segments out = new Offload.Segments();

    int n = Offload.resolve(f, f.length, Offload.pack(1, 0, 0, 34, 16), out);

    assertThat(n).isEqualTo(1);
    assertThat(checksumsValid(segments(out, 1).get(0))).isTrue();
  }

  @Test
  void workItCannotDoIsRefused() {
    byte[] f = tcpSuperFrame(false, false, 4000, 0x10);
    Offload.Segments out = new Offload.Segments();
    assertThat(Offload.resolve(f, f.length, Offload.pack(1, Offload.GSO_UDP, MSS, 34, 6), out))
        .as("UDP fragmentation offload")
        .isEqualTo(-1);
    assertThat(Offload.resolve(f, f.length, Offload.pack(1, Offload.GSO_TCPV6, MSS, 34, 16), out))
        .as("TCPv6 on an IPv4 frame")
        .isEqualTo(-1);
    f[12] = (byte) 0x88;
    f[13] = (byte) 0xB5;
    assertThat(Offload.resolve(f, f.length, word(f, 1), out)).as("not IP").isEqualTo(-1);
    assertThat(Offload.owesWork(Offload.pack(Offload.FLAG_DATA_VALID, 0, 0, 0, 0))).isFalse();
  }

  /**
   * A guest controls both the header and the frame: a frame that contradicts its offload word is
   * refused, never read or written past its end or at made-up offsets.
   */
  @Test
  void framesThatContradictTheirOffloadAreRefusedWithoutAnException() {
    Offload.Segments out = new Offload.Segments();
    byte[] f = tcpSuperFrame(false, false, 0, 0x10);
    byte[] longIhl = f.clone();
    longIhl[14] = 0x4F; // IHL 60 bytes, in a 54-byte frame
    assertThat(Offload.resolve(longIhl, longIhl.length, word(longIhl, 1), out)).isEqualTo(-1);
    byte[] udp = tcpSuperFrame(false, false, 3000, 0x10);
    udp[23] = 17; // says UDP, marked TCPV4
    assertThat(Offload.resolve(udp, udp.length, word(udp, 1), out)).isEqualTo(-1);
    byte[] g = tcpSuperFrame(false, false, 3000, 0x10);
    long farStart = Offload.pack(1, Offload.GSO_TCPV4, 33, 2000, 16);
    assertThat(Offload.resolve(g, g.length, farStart, out)).as("csum_start past L4").isEqualTo(-1);
    byte[] tags = new byte[200];
    for (int i = 12; i < 200; i += 4) {
      tags[i] = (byte) 0x81;
    }
    assertThat(Offload.resolve(tags, tags.length, Offload.pack(1, 1, 1448, 190, 16), out))
        .as("a tower of VLAN tags")
        .isEqualTo(-1);
    byte[] tagged = tcpSuperFrame(false, true, 100, 0x10);
    assertThat(Offload.resolve(tagged, tagged.length, Offload.pack(1, 0, 0, 14, 0), out))
        .as("a checksum written over the VLAN tag the switch has already classified")
        .isEqualTo(-1);
    assertThat(Offload.resolve(new byte[10], 10, word(f, 1), out))
        .as("shorter than a header")
        .isEqualTo(-1);
    byte[] runt = new byte[20];
    assertThat(Offload.resolve(runt, runt.length, Offload.pack(1, 0, 0, 2, 16), out))
        .as("checksum start inside the Ethernet header")
        .isEqualTo(-1);
  }

  /** GSO without NEEDS_CSUM (LRO or a virtio uplink): the L4 header is found from the IP header. */
  @Test
  void aSuperFrameWithoutChecksumStartIsCutByItsIpHeader() {
    byte[] f = tcpSuperFrame(false, false, 4 * MSS, 0x10);
    Offload.Segments out = new Offload.Segments();

    int n = Offload.resolve(f, f.length, Offload.pack(Offload.FLAG_DATA_VALID, 1, MSS, 0, 0), out);

    assertThat(n).isEqualTo(4);
    assertThat(segments(out, n)).allSatisfy(s -> assertThat(checksumsValid(s)).isTrue());
  }

  @Test
  void virtioHeaderRoundTripsAndMovesWithAVlanTag() {
    byte[] f = tcpSuperFrame(false, false, 5000, 0x10);
    long w = word(f, 1);
    byte[] h = new byte[Offload.VIRTIO_HEADER_BYTES];

    Offload.toVirtioHeader(w, f, 0, f.length, h, 0);

    assertThat(Offload.fromVirtioHeader(h, 0)).isEqualTo(w);
    assertThat(h[2] & 0xFF).as("hdr_len: Ethernet + IPv4 + TCP with options").isEqualTo(66);
    assertThat(Offload.csumStart(Offload.shifted(w, 4))).isEqualTo(38);
    assertThat(Offload.shifted(0, 4)).isZero();
  }

  /** tshark, an independent reader, agrees: checksums good, sequence numbers contiguous. */
  @Test
  void tsharkValidatesEverySegment(@TempDir Path dir) throws Exception {
    byte[] f = tcpSuperFrame(false, false, 20 * MSS, 0x18);
    Offload.Segments out = new Offload.Segments();
    int n = Offload.resolve(f, f.length, word(f, 1), out);
    Path file = dir.resolve("segments.pcapng");
    try (PcapngWriter w = PcapngWriter.create(file, 1 << 16)) {
      w.writeSectionHeader("test", null);
      int ifId = w.addInterface("seg", null, PcapngWriter.LINKTYPE_ETHERNET, 65_535);
      for (byte[] s : segments(out, n)) {
        w.writePacket(
            ifId, 0, s, 0, s.length, s.length, PcapngWriter.FLAGS_INBOUND, -1, (byte[]) null);
      }
    }
    assertThat(Files.size(file)).isPositive();

    List<String[]> rows =
        Tshark.fields(
            file,
            List.of("-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE"),
            "ip.checksum.status",
            "tcp.checksum.status",
            "tcp.seq_raw",
            "tcp.len");

    assertThat(rows).hasSize(20);
    for (int i = 0; i < rows.size(); i++) {
      String[] r = rows.get(i);
      assertThat(r[0]).as("ip checksum status (1 = good)").isEqualTo("1");
      assertThat(r[1]).as("tcp checksum status").isEqualTo("1");
      assertThat(Long.parseLong(r[2])).isEqualTo((0xFFFF_F000L + (long) i * MSS) & 0xFFFF_FFFFL);
      assertThat(r[3]).isEqualTo(Integer.toString(MSS));
    }
  }
}
