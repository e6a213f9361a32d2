package org.vccp.vnet.frame;

/**
 * Static flyweight reads over an Ethernet frame held in a byte array, without an object per frame.
 *
 * <pre>
 *  0                   6                  12      14 (untagged) / 18 (802.1Q)
 *  +-------------------+-------------------+-------+----------------------------
 *  | destination MAC   | source MAC        | type  | payload ...
 *  +-------------------+-------------------+-------+----------------------------
 *                                          | 8100  | TCI (PCP:3 DEI:1 VID:12) | type | ...
 * </pre>
 *
 * MAC addresses are returned as the low 48 bits of a {@code long}, most significant byte first, so
 * {@code 01:00:5e:..} has bit 40 set: the I/G (multicast) bit.
 */
public final class EthernetFrame {
  /** Destination + source MAC + EtherType: the shortest frame the switch accepts. */
  public static final int HEADER_BYTES = 14;

  public static final int VLAN_TAG_BYTES = 4;
  public static final int TPID_8021Q = 0x8100;
  public static final int MAX_VLAN_ID = 4094;

  private static final long MULTICAST_BIT = 1L << 40;
  public static final long BROADCAST = 0xFFFF_FFFF_FFFFL;

  private EthernetFrame() {}

  public static long destination(byte[] frame, int offset) {
    return mac(frame, offset);
  }

  public static long source(byte[] frame, int offset) {
    return mac(frame, offset + 6);
  }

  public static long mac(byte[] b, int i) {
    return ((b[i] & 0xFFL) << 40)
        | ((b[i + 1] & 0xFFL) << 32)
        | ((b[i + 2] & 0xFFL) << 24)
        | ((b[i + 3] & 0xFFL) << 16)
        | ((b[i + 4] & 0xFFL) << 8)
        | (b[i + 5] & 0xFFL);
  }

  public static void putMac(byte[] b, int i, long mac) {
    for (int k = 5; k >= 0; k--) {
      b[i + k] = (byte) mac;
      mac >>>= 8;
    }
  }

  /** True for group addresses: broadcast and every multicast. */
  public static boolean isMulticast(long mac) {
    return (mac & MULTICAST_BIT) != 0;
  }

  /** The EtherType (or TPID) at bytes 12–13. */
  public static int etherType(byte[] frame, int offset) {
    return ((frame[offset + 12] & 0xFF) << 8) | (frame[offset + 13] & 0xFF);
  }

  public static boolean isVlanTagged(byte[] frame, int offset, int length) {
    return length >= HEADER_BYTES + VLAN_TAG_BYTES && etherType(frame, offset) == TPID_8021Q;
  }

  /** The 16-bit tag control information of a tagged frame (bytes 14–15). */
  public static int tci(byte[] frame, int offset) {
    return ((frame[offset + 14] & 0xFF) << 8) | (frame[offset + 15] & 0xFF);
  }

  public static int vlanId(int tci) {
    return tci & 0x0FFF;
  }
}
