package org.vccp.vnet.record;

import java.nio.file.Path;

/**
 * A snapshot of the recorder's state.
 *
 * @param on whether frames are being recorded
 * @param run the run id (file-name part) of the current or last recording, or null
 * @param file the file being written, or null
 * @param files files started in this run
 * @param events blocks written in this run (packets and marks)
 * @param bytes bytes written in this run
 * @param error why recording stopped by itself (e.g. disk full), or null
 */
public record RecordingStatus(
    boolean on, String run, Path file, int files, long events, long bytes, String error) {
  public static final RecordingStatus OFF = new RecordingStatus(false, null, null, 0, 0, 0, null);
}
