package org.vccp.vnet.port;

import java.util.Locale;

/** Parses byte sizes such as {@code 4096}, {@code 64KiB}, {@code 1MiB}, {@code 2m}. */
public final class Sizes {
  private Sizes() {}

  public static long parseBytes(String text, String what) {
    String s = text.trim().toLowerCase(Locale.ROOT).replace("ib", "").replace("b", "");
    long mult = 1;
    if (s.endsWith("k")) {
      mult = 1024;
    } else if (s.endsWith("m")) {
      mult = 1024 * 1024;
    } else if (s.endsWith("g")) {
      mult = 1024L * 1024 * 1024;
    }
    if (mult != 1) {
      s = s.substring(0, s.length() - 1);
    }
    try {
      long v = Long.parseLong(s.trim()) * mult;
      if (v <= 0) {
        throw new NumberFormatException();
      }
      return v;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          what + ": '" + text + "' is not a size like 65536, 64KiB or 1MiB");
    }
  }
}
