package org.vccp.checkpoint.verify;

import java.util.HashMap;
import java.util.Map;

/**
 * A parsed VCCP comment or mark line: {@code vccp:<kind> key=value ...} (see
 * docs/recording-format.md). Anything else parses to null.
 */
record VccpText(String kind, Map<String, String> values) {
  static VccpText parse(String text) {
    if (text == null || !text.startsWith("vccp:")) {
      return null;
    }
    String[] words = text.strip().split("\\s+");
    String kind = words[0].substring(5);
    Map<String, String> values = new HashMap<>();
    for (int i = 1; i < words.length; i++) {
      int eq = words[i].indexOf('=');
      if (eq > 0) {
        values.put(words[i].substring(0, eq), words[i].substring(eq + 1));
      }
    }
    return new VccpText(kind, values);
  }

  String get(String key) {
    return values.get(key);
  }

  /** A numeric value, or {@code fallback} when absent or not a number. */
  long number(String key, long fallback) {
    String v = values.get(key);
    if (v == null) {
      return fallback;
    }
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException e) {
      return fallback;
    }
  }
}
