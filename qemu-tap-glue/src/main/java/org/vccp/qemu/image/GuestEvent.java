package org.vccp.qemu.image;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * One report line of the guest's /init, {@code VCCP <EVENT> key=value ...}, parsed. The events and
 * their keys are listed in qemu-tap-glue/README.md; values never contain spaces.
 *
 * @param event the event word, e.g. {@link #READY}
 * @param fields the key=value pairs in line order
 */
public record GuestEvent(String event, Map<String, String> fields) {

  /** Every report line starts with this. */
  public static final String PREFIX = "VCCP ";

  public static final String BOOT = "BOOT";
  public static final String READY = "READY";
  public static final String PEER_UP = "PEER-UP";
  public static final String PING = "PING";
  public static final String HTTP_SERVE = "HTTP-SERVE";
  public static final String FETCH = "FETCH";
  public static final String COUNTER = "COUNTER";
  public static final String UDPSEQ = "UDPSEQ";
  public static final String DONE = "DONE";
  public static final String ERROR = "ERROR";

  public GuestEvent {
    fields = Collections.unmodifiableMap(new LinkedHashMap<>(fields));
  }

  /** The event on {@code line}, or empty if the line is not a report (kernel output, BIOS). */
  public static Optional<GuestEvent> parse(String line) {
    if (!line.startsWith(PREFIX)) {
      return Optional.empty();
    }
    String[] tokens = line.substring(PREFIX.length()).strip().split("\\s+");
    if (tokens.length == 0 || tokens[0].isEmpty()) {
      return Optional.empty();
    }
    Map<String, String> fields = new LinkedHashMap<>();
    for (int i = 1; i < tokens.length; i++) {
      int equals = tokens[i].indexOf('=');
      if (equals > 0) {
        fields.put(tokens[i].substring(0, equals), tokens[i].substring(equals + 1));
      }
    }
    return Optional.of(new GuestEvent(tokens[0], fields));
  }

  public boolean is(String eventWord) {
    return event.equals(eventWord);
  }

  /** The value of {@code key}, or null. */
  public String get(String key) {
    return fields.get(key);
  }

  /** The value of {@code key} as a number; throws naming the event if absent or not a number. */
  public long getLong(String key) {
    String value = fields.get(key);
    try {
      return Long.parseLong(value);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "VCCP " + event + " line has no integer " + key + " (got " + value + "): " + fields, e);
    }
  }

  /** The value of {@code key} as a decimal, e.g. {@code rtt_ms}; throws if absent. */
  public double getDouble(String key) {
    String value = fields.get(key);
    try {
      return Double.parseDouble(value);
    } catch (NullPointerException | NumberFormatException e) {
      throw new IllegalArgumentException(
          "VCCP " + event + " line has no number " + key + " (got " + value + "): " + fields, e);
    }
  }

  /** True when the line says {@code ok=1}. */
  public boolean ok() {
    return "1".equals(fields.get("ok"));
  }

  @Override
  public String toString() {
    StringBuilder line = new StringBuilder(PREFIX).append(event);
    fields.forEach((key, value) -> line.append(' ').append(key).append('=').append(value));
    return line.toString();
  }
}
