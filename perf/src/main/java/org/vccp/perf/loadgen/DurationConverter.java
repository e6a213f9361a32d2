package org.vccp.perf.loadgen;

import java.time.Duration;
import java.util.Locale;
import picocli.CommandLine;

/**
 * Parses durations the way people type them: {@code 10s}, {@code 500ms}, {@code 1.5s}, {@code 2m},
 * or ISO-8601 such as {@code PT10S}. A bare number means seconds.
 */
public final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
  @Override
  public Duration convert(String value) {
    String v = value.trim().toLowerCase(Locale.ROOT);
    try {
      if (v.startsWith("pt")) {
        return Duration.parse(v.toUpperCase(Locale.ROOT));
      }
      if (v.endsWith("ms")) {
        return Duration.ofNanos(Math.round(Double.parseDouble(strip(v, 2)) * 1e6));
      }
      if (v.endsWith("us")) {
        return Duration.ofNanos(Math.round(Double.parseDouble(strip(v, 2)) * 1e3));
      }
      if (v.endsWith("s")) {
        return Duration.ofNanos(Math.round(Double.parseDouble(strip(v, 1)) * 1e9));
      }
      if (v.endsWith("m")) {
        return Duration.ofNanos(Math.round(Double.parseDouble(strip(v, 1)) * 60e9));
      }
      return Duration.ofNanos(Math.round(Double.parseDouble(v) * 1e9));
    } catch (RuntimeException e) {
      throw new CommandLine.TypeConversionException(
          "'" + value + "' is not a duration; use e.g. 10s, 500ms, 1.5s or 2m");
    }
  }

  private static String strip(String v, int suffix) {
    return v.substring(0, v.length() - suffix).trim();
  }
}
