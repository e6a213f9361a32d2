package org.vccp.qemu.qmp;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * What {@code query-migrate} says about the current (or last) migration.
 *
 * @param status {@code none}, {@code setup}, {@code active}, {@code device}, {@code completed},
 *     {@code failed}, {@code cancelled}, ...
 * @param totalTimeMs {@code total-time}, or -1 until QEMU reports it
 * @param downtimeMs {@code downtime}: how long the guest was stopped for it, or -1
 * @param transferredBytes {@code ram.transferred}, or -1
 * @param errorDesc {@code error-desc} of a failed migration, or null
 * @param raw the whole answer
 */
public record MigrationStatus(
    String status,
    long totalTimeMs,
    long downtimeMs,
    long transferredBytes,
    String errorDesc,
    JsonNode raw) {

  public static final String COMPLETED = "completed";
  public static final String FAILED = "failed";
  public static final String CANCELLED = "cancelled";

  static MigrationStatus of(JsonNode answer) {
    return new MigrationStatus(
        answer.path("status").asText("none"),
        answer.path("total-time").asLong(-1),
        answer.path("downtime").asLong(-1),
        answer.path("ram").path("transferred").asLong(-1),
        answer.hasNonNull("error-desc") ? answer.get("error-desc").asText() : null,
        answer);
  }

  public boolean isCompleted() {
    return COMPLETED.equals(status);
  }

  /** True when the migration ended without completing. */
  public boolean hasFailed() {
    return FAILED.equals(status) || CANCELLED.equals(status);
  }
}
