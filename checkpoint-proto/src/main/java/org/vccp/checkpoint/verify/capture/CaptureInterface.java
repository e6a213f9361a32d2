package org.vccp.checkpoint.verify.capture;

/**
 * One capture interface: a pcapng Interface Description Block, or the single implicit interface of
 * a classic pcap file. Converts the file's timestamp units to nanoseconds.
 */
public final class CaptureInterface {
  public static final int LINKTYPE_ETHERNET = 1;
  public static final int LINKTYPE_LINUX_SLL = 113;
  public static final int LINKTYPE_USER0 = 147;
  public static final int LINKTYPE_LINUX_SLL2 = 276;

  private final String name;
  private final String description;
  private final int linkType;
  private final int snapLength;
  private final int unitsPower10;
  private final int unitsPower2;
  private final long offsetNs;

  /**
   * @param tsresol the pcapng {@code if_tsresol} byte (6 when absent): most significant bit 0 means
   *     10^-n seconds, 1 means 2^-n seconds
   * @param tsoffsetSeconds the pcapng {@code if_tsoffset}, added to every timestamp
   */
  public CaptureInterface(
      String name,
      String description,
      int linkType,
      int snapLength,
      int tsresol,
      long tsoffsetSeconds) {
    this.name = name;
    this.description = description;
    this.linkType = linkType;
    this.snapLength = snapLength;
    if ((tsresol & 0x80) == 0) {
      this.unitsPower10 = tsresol & 0x7f;
      this.unitsPower2 = -1;
    } else {
      this.unitsPower10 = -1;
      this.unitsPower2 = tsresol & 0x7f;
    }
    this.offsetNs = tsoffsetSeconds * 1_000_000_000L;
  }

  /** {@code if_name}, or a name the reader made up (file name, interface id) when absent. */
  public String name() {
    return name;
  }

  /** {@code if_description}, or null. */
  public String description() {
    return description;
  }

  public int linkType() {
    return linkType;
  }

  /** Snap length; 0 means no limit. */
  public int snapLength() {
    return snapLength;
  }

  /** True for the VCCP marks pseudo-interface ({@code vccp}, link type USER0). */
  public boolean isMarks() {
    return linkType == LINKTYPE_USER0 && "vccp".equals(name);
  }

  /** Converts a raw timestamp in this interface's units to nanoseconds since the epoch. */
  public long toNanos(long units) {
    long ns;
    if (unitsPower10 >= 0) {
      if (unitsPower10 == 9) {
        ns = units;
      } else if (unitsPower10 < 9) {
        ns = units * POW10[9 - unitsPower10];
      } else {
        ns = units / POW10[Math.min(18, unitsPower10 - 9)];
      }
    } else if (unitsPower2 <= 30) {
      long whole = units >>> unitsPower2;
      long frac = units & ((1L << unitsPower2) - 1);
      ns = whole * 1_000_000_000L + ((frac * 1_000_000_000L) >>> unitsPower2);
    } else {
      ns = (long) (units / Math.pow(2, unitsPower2) * 1e9);
    }
    return ns + offsetNs;
  }

  private static final long[] POW10 = new long[19];

  static {
    POW10[0] = 1;
    for (int i = 1; i < POW10.length; i++) {
      POW10[i] = POW10[i - 1] * 10;
    }
  }

  @Override
  public String toString() {
    return name;
  }
}
