package org.vccp.qemu.sim;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The guest's serial port as a file, truncated at start like QEMU's {@code -serial file:PATH}: one
 * {@code VCCP <EVENT> key=value ...} report per line, flushed at once so a reader tailing the file
 * sees every line as it is written.
 */
final class SerialReport implements AutoCloseable {
  private final Path file;
  private final BufferedWriter out;

  SerialReport(Path file) throws IOException {
    this.file = file;
    this.out = Files.newBufferedWriter(file, StandardCharsets.UTF_8);
  }

  /** Writes {@code VCCP <event> k1=v1 k2=v2 ...}; {@code keyValues} alternate key and value. */
  synchronized void report(String event, Object... keyValues) {
    StringBuilder line = new StringBuilder("VCCP ").append(event);
    for (int i = 0; i + 1 < keyValues.length; i += 2) {
      line.append(' ').append(keyValues[i]).append('=').append(keyValues[i + 1]);
    }
    try {
      out.write(line.append('\n').toString());
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write serial file " + file + ": " + e.getMessage(), e);
    }
  }

  @Override
  public synchronized void close() throws IOException {
    out.close();
  }
}
