package org.vccp.vnet.frame;

import java.util.Locale;

/** Text form of a 48-bit MAC address held in a {@code long}: {@code 52:54:00:12:34:56}. */
public final class MacAddress {
  private MacAddress() {}

  public static String format(long mac) {
    StringBuilder sb = new StringBuilder(17);
    for (int shift = 40; shift >= 0; shift -= 8) {
      int b = (int) (mac >>> shift) & 0xFF;
      sb.append(Character.forDigit(b >>> 4, 16)).append(Character.forDigit(b & 0xF, 16));
      if (shift > 0) {
        sb.append(':');
      }
    }
    return sb.toString();
  }

  /**
   * Parses {@code aa:bb:cc:dd:ee:ff} or {@code aa-bb-...}.
   *
   * @throws IllegalArgumentException naming the text when it is not a MAC address
   */
  public static long parse(String text) {
    String[] parts = text.trim().toLowerCase(Locale.ROOT).split("[:-]");
    if (parts.length != 6) {
      throw new IllegalArgumentException(
          "'" + text + "' is not a MAC address: expected six hex bytes like 52:54:00:12:34:56");
    }
    long mac = 0;
    for (String p : parts) {
      if (p.isEmpty() || p.length() > 2) {
        throw new IllegalArgumentException(
            "'" + text + "' is not a MAC address: bad byte '" + p + "'");
      }
      try {
        mac = (mac << 8) | Integer.parseInt(p, 16);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            "'" + text + "' is not a MAC address: bad byte '" + p + "'");
      }
    }
    return mac;
  }
}
