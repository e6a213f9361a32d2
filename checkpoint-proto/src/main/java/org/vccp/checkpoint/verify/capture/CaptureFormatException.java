package org.vccp.checkpoint.verify.capture;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A capture file that cannot be read as what it claims to be: corrupt, truncated or of an
 * unsupported kind. Carries the file and the byte offset of the offending block or record.
 */
public final class CaptureFormatException extends IOException {
  private final transient Path file;
  private final long offset;
  private final String reason;

  public CaptureFormatException(Path file, long offset, String reason) {
    super(file + ": at byte " + offset + ": " + reason);
    this.file = file;
    this.offset = offset;
    this.reason = reason;
  }

  public Path file() {
    return file;
  }

  /** Byte offset in the file where the bad block or record starts (or was expected). */
  public long offset() {
    return offset;
  }

  /** The reason alone, without file and offset. */
  public String reason() {
    return reason;
  }
}
