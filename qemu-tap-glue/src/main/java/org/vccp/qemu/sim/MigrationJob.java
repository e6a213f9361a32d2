package org.vccp.qemu.sim;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One migration, outgoing or incoming, as {@code query-migrate} shows it: its status ({@code
 * setup}, {@code active}, {@code completed}, {@code failed}), its times, and RAM figures that
 * describe the image (one "page" per 4 KiB of it), so clients reading QEMU's fields find them.
 */
final class MigrationJob {
  static final int PAGE_BYTES = 4096;

  private final long startNanos = System.nanoTime();
  private String status = "setup";
  private long activeNanos;
  private long endNanos;
  private long totalBytes;
  private long transferredBytes;
  private long downtimeNanos;
  private String error;

  synchronized String status() {
    return status;
  }

  synchronized boolean finished() {
    return status.equals("completed") || status.equals("failed");
  }

  synchronized void active(long bytes) {
    status = "active";
    activeNanos = System.nanoTime();
    totalBytes = bytes;
  }

  synchronized void completed(long bytes, long downtimeNanos) {
    status = "completed";
    endNanos = System.nanoTime();
    totalBytes = bytes;
    transferredBytes = bytes;
    this.downtimeNanos = downtimeNanos;
  }

  synchronized void failed(String error) {
    status = "failed";
    endNanos = System.nanoTime();
    this.error = error;
  }

  synchronized ObjectNode toJson(ObjectMapper json) {
    ObjectNode info = json.createObjectNode().put("status", status);
    if (status.equals("failed")) {
      return info.put("error-desc", error);
    }
    long now = endNanos != 0 ? endNanos : System.nanoTime();
    info.put("total-time", (now - startNanos) / 1_000_000);
    info.put("setup-time", ((activeNanos != 0 ? activeNanos : now) - startNanos) / 1_000_000);
    if (status.equals("completed")) {
      info.put("downtime", downtimeNanos / 1_000_000);
    } else {
      info.put("expected-downtime", 0);
    }
    if (!status.equals("setup")) {
      long seconds = Math.max(1, now - startNanos);
      info.putObject("ram")
          .put("transferred", transferredBytes)
          .put("remaining", totalBytes - transferredBytes)
          .put("total", totalBytes)
          .put("duplicate", 0)
          .put("skipped", 0)
          .put("normal", (totalBytes + PAGE_BYTES - 1) / PAGE_BYTES)
          .put("normal-bytes", totalBytes)
          .put("dirty-pages-rate", 0)
          .put("mbps", transferredBytes * 8.0 * 1e3 / seconds)
          .put("dirty-sync-count", 1)
          .put("postcopy-requests", 0)
          .put("page-size", PAGE_BYTES)
          .put("multifd-bytes", 0)
          .put("pages-per-second", 0)
          .put("precopy-bytes", transferredBytes)
          .put("downtime-bytes", 0)
          .put("postcopy-bytes", 0);
    }
    return info;
  }
}
