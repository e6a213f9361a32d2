package org.vccp.checkpoint.verify;

import org.vccp.checkpoint.verify.capture.CaptureInterface;

/**
 * Static readers over a captured frame in a byte array (no objects): where the Ethernet header is
 * for the capture's link type, the MAC addresses, and the IP and transport headers.
 *
 * <pre>
 *   Ethernet: dst(6) src(6) [0x8100 tci(2)]* type(2) payload
 *   SLL:      pkttype(2) hatype(2) halen(2) addr(8) proto(2) payload    (no destination MAC)
 *   SLL2:     proto(2) rsvd(2) ifindex(4) hatype(2) pkttype(1) halen(1) addr(8) payload
 * </pre>
 */
final class Frames {
  private Frames() {}

  static final int ETHERTYPE_IPV4 = 0x0800;
  static final int ETHERTYPE_IPV6 = 0x86DD;

  /** True when the link type carries Ethernet frames with both MAC addresses. */
  static boolean isEthernet(int linkType) {
    return linkType == CaptureInterface.LINKTYPE_ETHERNET;
  }

  static long mac(byte[] a, int off) {
    return ((a[off] & 0xffL) << 40)
        | ((a[off + 1] & 0xffL) << 32)
        | ((a[off + 2] & 0xffL) << 24)
        | ((a[off + 3] & 0xffL) << 16)
        | ((a[off + 4] & 0xffL) << 8)
        | (a[off + 5] & 0xffL);
  }

  /** Destination MAC of an Ethernet frame (-1 if too short). */
  static long dstMac(byte[] a, int off, int len) {
    return len < 14 ? -1 : mac(a, off);
  }

  /** Source MAC of an Ethernet frame (-1 if too short). */
  static long srcMac(byte[] a, int off, int len) {
    return len < 14 ? -1 : mac(a, off + 6);
  }

  /** Group (broadcast or multicast) bit of a MAC. */
  static boolean isGroup(long mac) {
    return (mac & (1L << 40)) != 0;
  }

  static String macString(long mac) {
    return String.format(
        "%02x:%02x:%02x:%02x:%02x:%02x",
        (mac >>> 40) & 0xff,
        (mac >>> 32) & 0xff,
        (mac >>> 24) & 0xff,
        (mac >>> 16) & 0xff,
        (mac >>> 8) & 0xff,
        mac & 0xff);
  }

  /**
   * Offset of the network-layer header, with the ethertype in the high 16 bits of the returned long
   * and the offset in the low 32 bits; -1 when there is none.
   */
  static long network(int linkType, byte[] a, int off, int len) {
    int p;
    int type;
    switch (linkType) {
      case CaptureInterface.LINKTYPE_ETHERNET -> {
        if (len < 14) {
          return -1;
        }
        p = off + 12;
        type = u16(a, p);
        while ((type == 0x8100 || type == 0x88a8) && p + 6 <= off + len) {
          p += 4;
          type = u16(a, p);
        }
        p += 2;
      }
      case CaptureInterface.LINKTYPE_LINUX_SLL -> {
        if (len < 16) {
          return -1;
        }
        type = u16(a, off + 14);
        p = off + 16;
      }
      case CaptureInterface.LINKTYPE_LINUX_SLL2 -> {
        if (len < 20) {
          return -1;
        }
        type = u16(a, off);
        p = off + 20;
      }
      default -> {
        return -1;
      }
    }
    return ((long) type << 32) | (p - off);
  }

  static int u16(byte[] a, int i) {
    return ((a[i] & 0xff) << 8) | (a[i + 1] & 0xff);
  }

  static int i32(byte[] a, int i) {
    return ((a[i] & 0xff) << 24)
        | ((a[i + 1] & 0xff) << 16)
        | ((a[i + 2] & 0xff) << 8)
        | (a[i + 3] & 0xff);
  }

  static long i64(byte[] a, int i) {
    return ((long) i32(a, i) << 32) | (i32(a, i + 4) & 0xffffffffL);
  }

  static String ipv4String(int ip) {
    return ((ip >>> 24) & 0xff)
        + "."
        + ((ip >>> 16) & 0xff)
        + "."
        + ((ip >>> 8) & 0xff)
        + "."
        + (ip & 0xff);
  }

  static String ipv6String(byte[] a, int off) {
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < 16; i += 2) {
      if (i > 0) {
        sb.append(':');
      }
      sb.append(Integer.toHexString(u16(a, off + i)));
    }
    return sb.append(']').toString();
  }

  /** A 64-bit FNV-1a style hash of a byte range, used to match frames by content. */
  static long hash(byte[] a, int off, int len) {
    long h = 0xcbf29ce484222325L;
    int i = off;
    int end = off + len;
    for (; i + 8 <= end; i += 8) {
      h ^= i64(a, i);
      h *= 0x100000001b3L;
      h ^= h >>> 29;
    }
    for (; i < end; i++) {
      h ^= a[i] & 0xff;
      h *= 0x100000001b3L;
    }
    h ^= len;
    h *= 0x9E3779B97F4A7C15L;
    return h ^ (h >>> 31);
  }
}
