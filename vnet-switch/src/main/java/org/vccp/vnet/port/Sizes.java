package org.vccp.vnet.port;

import java.util.Locale;

/**
 * Parses the sizes and durations of command-line options and config files: byte sizes such as
 * {@code 4096}, {@code 64KiB}, {@code 1MiB}, {@code 2m}, and durations such as {@code 500ms},
 * {@code 1.5s}, {@code 10m}.
 */
public final class Sizes {
  private Sizes() {}

  private static final java.util.regex.Pattern DURATION =
      java.util.regex.Pattern.compile("(\\d+(?:\\.\\d+)?)(ns|us|ms|s|m|h)");

  /** Whether {@code text} is a duration ({@link #parseDuration}) rather than anything else. */
  public static boolean isDuration(String text) {
    return DURATION.matcher(text.trim()).matches();
  }

  /**
   * {@code 100ns}, {@code 250us}, {@code 500ms}, {@code 1.5s}, {@code 2m}, {@code 1h} (zero is
   * allowed: callers that need more say so).
   *
   * @param what the option, for the error: {@code --every}
   */
  public static java.time.Duration parseDuration(String text, String what) {
    java.util.regex.Matcher m = DURATION.matcher(text.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException(
          what + " " + text + ": expected a duration like 500ms, 1.5s, 60s, 5m or 1h");
    }
    double v = Double.parseDouble(m.group(1));
    double unitNs =
        switch (m.group(2)) {
          case "ns" -> 1;
          case "us" -> 1e3;
          case "ms" -> 1e6;
          case "s" -> 1e9;
          case "m" -> 60e9;
          default -> 3600e9;
        };
    return java.time.Duration.ofNanos((long) (v * unitNs));
  }

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
