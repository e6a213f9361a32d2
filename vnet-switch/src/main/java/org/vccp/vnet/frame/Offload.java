package org.vccp.vnet.frame;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * The work a frame still owes the network: a checksum to finish and a segmentation to do, as a
 * Linux interface with offloads on hands them over (a virtio-net header, {@code struct
 * virtio_net_hdr}), packed into one {@code long} that travels with the frame: in its ring slot, in
 * an egress queue record, in a hold queue. Zero means a plain frame that owes nothing.
 *
 * <pre>
 *  bit 63        48 47        32 31        16 15      8 7       0
 *  +--------------+------------+------------+---------+---------+
 *  | csum_offset  | csum_start | gso_size   | gso_type| flags   |
 *  +--------------+------------+------------+---------+---------+
 * </pre>
 *
 * A port that can pass the work on to its own interface (a packet socket with a vnet header) sends
 * the frame as it is; the kernel, or the next hop, does the work. Every other port gets the frames
 * this class makes: {@link #resolve} completes a checksum ({@code NEEDS_CSUM}) and cuts a TCP or
 * UDP super-frame of up to 64 KiB into the MTU-sized frames it stands for (the kernel's {@code
 * skb_checksum_help} and {@code tcp_gso_segment}/{@code udp4_ufo_fragment} in software): headers
 * copied, IPv4 total length, identification and header checksum, IPv6 payload length, TCP sequence
 * number and flags (FIN and PSH only on the last segment, CWR only on the first) and the TCP or UDP
 * checksum rewritten per segment. The header's {@code hdr_len} is not kept: it is only a hint, and
 * {@link #headerBytes} recomputes it from the frame.
 */
public final class Offload {
  public static final int FLAG_NEEDS_CSUM = 1;
  public static final int FLAG_DATA_VALID = 2;

  public static final int GSO_NONE = 0;
  public static final int GSO_TCPV4 = 1;
  public static final int GSO_UDP = 3;
  public static final int GSO_TCPV6 = 4;
  public static final int GSO_UDP_L4 = 5;
  public static final int GSO_ECN = 0x80;

  /** {@code sizeof(struct virtio_net_hdr)}: what a packet socket with PACKET_VNET_HDR prepends. */
  public static final int VIRTIO_HEADER_BYTES = 10;

  /** The most frames one super-frame may stand for; more is refused, not resolved. */
  public static final int MAX_SEGMENTS = 1024;

  private static final VarHandle LONG_BE =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

  private Offload() {}

  public static long pack(int flags, int gsoType, int gsoSize, int csumStart, int csumOffset) {
    return (flags & 0xFFL)
        | (gsoType & 0xFFL) << 8
        | (gsoSize & 0xFFFFL) << 16
        | (csumStart & 0xFFFFL) << 32
        | (csumOffset & 0xFFFFL) << 48;
  }

  public static int flags(long w) {
    return (int) (w & 0xFF);
  }

  public static int gsoType(long w) {
    return (int) (w >>> 8) & 0xFF;
  }

  public static int gsoSize(long w) {
    return (int) (w >>> 16) & 0xFFFF;
  }

  public static int csumStart(long w) {
    return (int) (w >>> 32) & 0xFFFF;
  }

  public static int csumOffset(long w) {
    return (int) (w >>> 48) & 0xFFFF;
  }

  /** Whether a frame with this word owes anything (DATA_VALID alone owes nothing). */
  public static boolean owesWork(long w) {
    return (flags(w) & FLAG_NEEDS_CSUM) != 0 || (gsoType(w) & ~GSO_ECN) != GSO_NONE;
  }

  /**
   * The word with {@code csum_start} moved by {@code delta} bytes (a VLAN tag added or removed).
   */
  public static long shifted(long w, int delta) {
    if (csumStart(w) == 0 || delta == 0) {
      return w;
    }
    return (w & ~(0xFFFFL << 32)) | ((csumStart(w) + delta) & 0xFFFFL) << 32;
  }

  /** Reads a little-endian virtio-net header (as x86 Linux writes it) at {@code b[at]}. */
  public static long fromVirtioHeader(byte[] b, int at) {
    return pack(b[at] & 0xFF, b[at + 1] & 0xFF, le16(b, at + 4), le16(b, at + 6), le16(b, at + 8));
  }

  /**
   * Writes the virtio-net header for the frame {@code f[off, off + len)} with word {@code w} at
   * {@code dst[at]}.
   */
  public static void toVirtioHeader(long w, byte[] f, int off, int len, byte[] dst, int at) {
    dst[at] = (byte) flags(w);
    dst[at + 1] = (byte) gsoType(w);
    putLe16(dst, at + 2, w == 0 ? 0 : headerBytes(f, off, len, w));
    putLe16(dst, at + 4, gsoSize(w));
    putLe16(dst, at + 6, csumStart(w));
    putLe16(dst, at + 8, csumOffset(w));
  }

  /**
   * The header bytes every segment of {@code f[off, off + len)} repeats (Ethernet, IP and TCP/UDP
   * headers), or {@code csum_start + csum_offset + 2} when the frame is no TCP/UDP super-frame;
   * capped at {@code len}.
   */
  private static int headerBytes(byte[] f, int off, int len, long w) {
    int l4 = csumStart(w);
    int gso = gsoType(w) & ~GSO_ECN;
    int h;
    if ((gso == GSO_TCPV4 || gso == GSO_TCPV6) && l4 + 13 < len) {
      h = l4 + ((f[off + l4 + 12] & 0xF0) >>> 2);
    } else if (gso == GSO_UDP_L4) {
      h = l4 + 8;
    } else {
      h = l4 + csumOffset(w) + 2;
    }
    return Math.min(h, len);
  }

  /**
   * The frames {@code f[0, len)} with word {@code w} stands for, each complete, written back to
   * back into {@code out.bytes} with their lengths in {@code out.lengths}.
   *
   * @return how many frames, or -1 when the word asks for work this class cannot do (UDP
   *     fragmentation offload, a non-IP frame, more than {@link #MAX_SEGMENTS}) or that the frame
   *     contradicts (an IP header that does not say TCP/UDP or does not end at {@code csum_start},
   *     a header that does not fit the frame)
   */
  public static int resolve(byte[] f, int len, long w, Segments out) {
    if (len < EthernetFrame.HEADER_BYTES) {
      return -1;
    }
    int gso = gsoType(w) & ~GSO_ECN;
    if (gso == GSO_NONE) {
      byte[] dst = out.reserve(len, 1, len);
      System.arraycopy(f, 0, dst, 0, len);
      out.lengths[0] = len;
      if ((flags(w) & FLAG_NEEDS_CSUM) != 0) {
        int start = csumStart(w);
        int at = start + csumOffset(w);
        // only inside the IP payload: never over a VLAN tag, which the switch has already read
        int l3 = ipOffset(f, len);
        if (l3 < 0 || start < l3 + ((f[l3] & 0xF0) == 0x40 ? 20 : 40) || at + 2 > len) {
          return -1;
        }
        int c = fold(sum(dst, start, len - start, 0));
        putBe16(dst, at, c == 0xFFFF ? 0xFFFF : ~c & 0xFFFF);
      }
      return 1;
    }
    if (gso != GSO_TCPV4 && gso != GSO_TCPV6 && gso != GSO_UDP_L4) {
      return -1;
    }
    int l3 = ipOffset(f, len);
    if (l3 < 0) {
      return -1;
    }
    boolean v4 = (f[l3] & 0xF0) == 0x40;
    if ((gso == GSO_TCPV4 && !v4) || (gso == GSO_TCPV6 && v4)) {
      return -1;
    }
    boolean tcp = gso != GSO_UDP_L4;
    // as the kernel's GSO does: the IP header must say TCP (or UDP) and end where L4 starts; a
    // frame that lies (a guest controls both) is refused, never rewritten at made-up offsets
    int ipHeader = v4 ? (f[l3] & 0x0F) * 4 : 40;
    int l4 = l3 + ipHeader;
    if ((v4 && ipHeader < 20)
        || (f[l3 + (v4 ? 9 : 6)] & 0xFF) != (tcp ? 6 : 17)
        || ((flags(w) & FLAG_NEEDS_CSUM) != 0 && csumStart(w) != l4)) {
      return -1;
    }
    int mss = gsoSize(w);
    if (l4 + (tcp ? 20 : 8) > len || mss == 0) {
      return -1;
    }
    int hdr = tcp ? l4 + ((f[l4 + 12] & 0xF0) >>> 2) : l4 + 8;
    if (hdr > len || (tcp && hdr < l4 + 20)) {
      return -1;
    }
    int payload = len - hdr;
    int n = Math.max(1, (payload + mss - 1) / mss);
    if (n > MAX_SEGMENTS) {
      return -1;
    }
    byte[] dst = out.reserve(len + (n - 1) * hdr, n, hdr + Math.min(mss, payload));
    long pseudoAddrs = v4 ? sum(f, l3 + 12, 8, 0) : sum(f, l3 + 8, 32, 0);
    int proto = tcp ? 6 : 17;
    int ipId = v4 ? be16(f, l3 + 4) : 0;
    long seq = tcp ? be32(f, l4 + 4) : 0;
    int tcpFlags = tcp ? f[l4 + 13] & 0xFF : 0;
    int pos = 0;
    for (int i = 0; i < n; i++) {
      int chunk = Math.min(mss, payload - i * mss);
      System.arraycopy(f, 0, dst, pos, hdr);
      System.arraycopy(f, hdr + i * mss, dst, pos + hdr, chunk);
      int l4Len = hdr - l4 + chunk;
      if (v4) {
        putBe16(dst, pos + l3 + 2, l4 - l3 + l4Len);
        putBe16(dst, pos + l3 + 4, ipId + i);
        putBe16(dst, pos + l3 + 10, 0);
        int ihl = (f[l3] & 0x0F) * 4;
        putBe16(dst, pos + l3 + 10, ~fold(sum(dst, pos + l3, ihl, 0)) & 0xFFFF);
      } else {
        putBe16(dst, pos + l3 + 4, l4 - l3 - 40 + l4Len);
      }
      int check;
      if (tcp) {
        putBe32(dst, pos + l4 + 4, seq + (long) i * mss);
        int fl = tcpFlags;
        if (i < n - 1) {
          fl &= ~0x09; // FIN, PSH: the last segment's
        }
        if (i > 0) {
          fl &= ~0x80; // CWR: the first segment's
        }
        dst[pos + l4 + 13] = (byte) fl;
        check = pos + l4 + 16;
      } else {
        putBe16(dst, pos + l4 + 4, l4Len);
        check = pos + l4 + 6;
      }
      putBe16(dst, check, 0);
      long s = sum(dst, pos + l4, l4Len, pseudoAddrs + proto + l4Len);
      int c = ~fold(s) & 0xFFFF;
      putBe16(dst, check, c == 0 && !tcp ? 0xFFFF : c);
      out.lengths[i] = hdr + chunk;
      pos += hdr + chunk;
    }
    return n;
  }

  /**
   * Where the IP header starts (after at most two 802.1Q/802.1ad tags), or -1 for a non-IP frame.
   */
  static int ipOffset(byte[] f, int len) {
    int at = 12;
    int type = be16(f, at);
    for (int tags = 0; (type == 0x8100 || type == 0x88A8) && tags < 2 && at + 6 <= len; tags++) {
      at += 4;
      type = be16(f, at);
    }
    int l3 = at + 2;
    if ((type == 0x0800 || type == 0x86DD) && l3 + 40 <= len) {
      return l3;
    }
    return -1;
  }

  /** The one's-complement sum of {@code b[off, off + len)} as 16-bit big-endian words, unfolded. */
  public static long sum(byte[] b, int off, int len, long acc) {
    int i = off;
    int end = off + len;
    for (; i + 8 <= end; i += 8) {
      long v = (long) LONG_BE.get(b, i);
      acc += (v >>> 32) + (v & 0xFFFF_FFFFL);
    }
    for (; i + 1 < end; i += 2) {
      acc += ((b[i] & 0xFF) << 8) | (b[i + 1] & 0xFF);
    }
    if (i < end) {
      acc += (b[i] & 0xFF) << 8;
    }
    return acc;
  }

  /** Folds a sum of {@link #sum} to 16 bits (not complemented). */
  public static int fold(long s) {
    while ((s >>> 16) != 0) {
      s = (s & 0xFFFF) + (s >>> 16);
    }
    return (int) s;
  }

  private static int le16(byte[] b, int i) {
    return (b[i] & 0xFF) | (b[i + 1] & 0xFF) << 8;
  }

  private static void putLe16(byte[] b, int i, int v) {
    b[i] = (byte) v;
    b[i + 1] = (byte) (v >>> 8);
  }

  private static int be16(byte[] b, int i) {
    return (b[i] & 0xFF) << 8 | (b[i + 1] & 0xFF);
  }

  private static long be32(byte[] b, int i) {
    return ((long) be16(b, i) << 16) | be16(b, i + 2);
  }

  private static void putBe16(byte[] b, int i, int v) {
    b[i] = (byte) (v >>> 8);
    b[i + 1] = (byte) v;
  }

  private static void putBe32(byte[] b, int i, long v) {
    putBe16(b, i, (int) (v >>> 16) & 0xFFFF);
    putBe16(b, i + 2, (int) v & 0xFFFF);
  }

  /** Reusable output of {@link #resolve}: one thread's scratch space, grown as needed. */
  public static final class Segments {
    byte[] bytes = new byte[0];
    int[] lengths = new int[1];
    private int total;
    private int largest;

    /** Makes room for {@code count} frames of {@code totalBytes}, the longest {@code largest}. */
    byte[] reserve(int totalBytes, int count, int largestBytes) {
      total = totalBytes;
      largest = largestBytes;
      if (bytes.length < totalBytes) {
        bytes = new byte[Math.max(totalBytes, 2 * bytes.length)];
      }
      if (lengths.length < count) {
        lengths = new int[Math.max(count, 2 * lengths.length)];
      }
      return bytes;
    }

    public byte[] bytes() {
      return bytes;
    }

    /** Bytes of all the frames the last {@link #resolve} made. */
    public int totalBytes() {
      return total;
    }

    /** Bytes of the longest frame the last {@link #resolve} made. */
    public int largestBytes() {
      return largest;
    }

    /** Length of frame {@code i}; frame {@code i} starts where frame {@code i - 1} ends. */
    public int length(int i) {
      return lengths[i];
    }
  }
}
