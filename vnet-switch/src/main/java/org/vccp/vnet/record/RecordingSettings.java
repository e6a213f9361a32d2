package org.vccp.vnet.record;

import java.nio.file.Path;

/**
 * What and where to record.
 *
 * @param dir directory of the pcapng files (created if missing)
 * @param switchName first part of every file name
 * @param rotateBytes start a new file once this many bytes are written; 0 = never
 * @param rotateNs start a new file once the current one is this old; 0 = never
 * @param snapLen at most this many bytes of each frame are kept (the original length always is)
 * @param egressSnapLen at most this many bytes are kept in the events that follow a frame's ingress
 *     event (egress, held, dropped at egress): its bytes are already in the file once, and the
 *     first {@value #DEFAULT_EGRESS_SNAP_LEN} hold every header {@code vccp verify} reads
 * @param keepFiles at most this many files of one recording are kept: opening a new one deletes the
 *     oldest beyond them (a ring of files, as {@code dumpcap -b files:N}); 0 = keep all
 */
public record RecordingSettings(
    Path dir,
    String switchName,
    long rotateBytes,
    long rotateNs,
    int snapLen,
    int egressSnapLen,
    int keepFiles) {
  public static final int DEFAULT_SNAP_LEN = 65_535;
  public static final int DEFAULT_EGRESS_SNAP_LEN = 128;

  public RecordingSettings {
    if (dir == null) {
      throw new IllegalArgumentException("recording needs a directory");
    }
    if (rotateBytes < 0 || rotateNs < 0) {
      throw new IllegalArgumentException("record rotation must not be negative");
    }
    if (rotateBytes > 0 && rotateBytes < 64 * 1024) {
      throw new IllegalArgumentException(
          "--record-rotate " + rotateBytes + " bytes is too small: use at least 64KiB");
    }
    if (snapLen < 14 || snapLen > 65_535) {
      throw new IllegalArgumentException(
          "--record-snaplen " + snapLen + " is out of range: use 14..65535");
    }
    if (egressSnapLen < 14 || egressSnapLen > 65_535) {
      throw new IllegalArgumentException(
          "--record-egress-snaplen " + egressSnapLen + " is out of range: use 14..65535");
    }
    if (keepFiles < 0) {
      throw new IllegalArgumentException(
          "--record-keep " + keepFiles + " is negative: give a number of files, or 0 for all");
    }
  }

  public static RecordingSettings in(Path dir, String switchName) {
    return new RecordingSettings(
        dir, switchName, 0, 0, DEFAULT_SNAP_LEN, DEFAULT_EGRESS_SNAP_LEN, 0);
  }

  /**
   * Parses a rotation limit: a size ({@code 1GiB}, {@code 500MB}, bytes) or a duration ({@code
   * 10m}, {@code 30s}, {@code 1h}). Returns {bytes, nanos}, one of them zero.
   */
  public static long[] parseRotate(String text) {
    if (org.vccp.vnet.port.Sizes.isDuration(text)) {
      long ns = org.vccp.vnet.port.Sizes.parseDuration(text, "--record-rotate").toNanos();
      if (ns <= 0) {
        throw new IllegalArgumentException("--record-rotate " + text + ": must be positive");
      }
      return new long[] {0, ns};
    }
    return new long[] {org.vccp.vnet.port.Sizes.parseBytes(text.trim(), "--record-rotate"), 0};
  }
}
