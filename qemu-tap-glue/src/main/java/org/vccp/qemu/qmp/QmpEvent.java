package org.vccp.qemu.qmp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;

/**
 * One asynchronous QMP event, e.g. {@code STOP}, {@code RESUME}, {@code MIGRATION}, {@code
 * SHUTDOWN} or {@code NIC_RX_FILTER_CHANGED}.
 *
 * @param name the {@code event} member
 * @param data the {@code data} member, or a missing node when the event has none
 * @param timestampMicros QEMU's host wall-clock time of the event, in microseconds since the epoch
 * @param receivedNanos {@link System#nanoTime()} when the client read it
 */
public record QmpEvent(String name, JsonNode data, long timestampMicros, long receivedNanos) {

  public static final String STOP = "STOP";
  public static final String RESUME = "RESUME";
  public static final String MIGRATION = "MIGRATION";
  public static final String SHUTDOWN = "SHUTDOWN";
  public static final String NIC_RX_FILTER_CHANGED = "NIC_RX_FILTER_CHANGED";

  /** The event in a parsed QMP message holding an {@code event} member. */
  static QmpEvent of(JsonNode message, long receivedNanos) {
    JsonNode timestamp = message.path("timestamp");
    long micros =
        timestamp.path("seconds").asLong() * 1_000_000L + timestamp.path("microseconds").asLong();
    JsonNode data = message.has("data") ? message.get("data") : MissingNode.getInstance();
    return new QmpEvent(message.path("event").asText(), data, micros, receivedNanos);
  }

  public boolean is(String eventName) {
    return name.equals(eventName);
  }
}
