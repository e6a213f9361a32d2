package org.vccp.qemu.qmp;

import java.nio.file.Path;

/**
 * Migration URIs for saving a guest to a file and loading it back. QEMU 7.2 has no {@code file:}
 * URI, so files go through {@code exec:} (a {@code /bin/sh -c} command line, hence the quoting) or
 * a Unix socket that the caller reads or writes itself.
 */
public final class MigrationUri {

  private MigrationUri() {}

  /** {@code exec:cat > 'FILE'}: QEMU's stream written to {@code file}. */
  public static String toFile(Path file) {
    return "exec:cat > " + shellQuote(file.toAbsolutePath().toString());
  }

  /** {@code exec:cat 'FILE'}: QEMU's incoming stream read from {@code file}. */
  public static String fromFile(Path file) {
    return "exec:cat " + shellQuote(file.toAbsolutePath().toString());
  }

  /** {@code unix:PATH}: QEMU connects (migrate) to, or listens (migrate-incoming) on, PATH. */
  public static String unix(Path socket) {
    return "unix:" + socket.toAbsolutePath();
  }

  /** One shell word: single quotes, with embedded single quotes closed, escaped and reopened. */
  static String shellQuote(String word) {
    return "'" + word.replace("'", "'\\''") + "'";
  }
}
