package org.vccp.qemu.guest;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * Follows a serial log file that QEMU appends to: {@link #poll()} reads whatever is new and splits
 * it into cleaned {@link SerialLine}s; waiters block in {@link #await} on this object's monitor
 * until a poll brings a matching line, the log is closed, or their deadline passes.
 */
final class SerialLog {

  /** CSI sequences (ESC [ ... final byte) and two-byte escapes such as ESC c. */
  private static final Pattern ESCAPES = Pattern.compile("\u001B(\\[[0-?]*[ -/]*[@-~]|.)");

  private static final Pattern CONTROLS = Pattern.compile("[\\x00-\\x08\\x0B-\\x1F\\x7F]");

  private final Path path;
  private final ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
  private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
  private final List<SerialLine> lines = new ArrayList<>();
  private FileChannel channel;
  private long position;
  private boolean closed;

  SerialLog(Path path) {
    this.path = path;
  }

  /** Reads new output; returns how many complete lines it added. */
  synchronized int poll() {
    if (closed) {
      return 0;
    }
    int before = lines.size();
    try {
      if (channel == null) {
        channel = FileChannel.open(path, StandardOpenOption.READ);
      }
      for (int n = channel.read(buffer.clear(), position); n > 0; ) {
        position += n;
        split(buffer.flip());
        n = channel.read(buffer.clear(), position);
      }
    } catch (NoSuchFileException e) {
      return 0; // QEMU has not opened it yet
    } catch (IOException e) {
      lines.add(line("[vccp: reading " + path + " failed: " + e + "]"));
    }
    if (lines.size() > before) {
      notifyAll();
    }
    return lines.size() - before;
  }

  /** Last poll, then no more: a final unterminated line counts, and waiters are woken. */
  synchronized void close() {
    if (closed) {
      return;
    }
    poll();
    if (partial.size() > 0) {
      lines.add(line(clean(partial.toByteArray())));
      partial.reset();
    }
    closed = true;
    try {
      if (channel != null) {
        channel.close();
      }
    } catch (IOException ignored) {
      // read-only channel: nothing to lose
    }
    notifyAll();
  }

  synchronized boolean isClosed() {
    return closed;
  }

  synchronized List<SerialLine> lines() {
    return List.copyOf(lines);
  }

  /**
   * The first line at index {@code fromIndex} or later that matches, waiting until {@code
   * deadlineNanos}; null if the deadline passes or the log closes first.
   */
  synchronized SerialLine await(Predicate<String> matcher, int fromIndex, long deadlineNanos)
      throws InterruptedException {
    int next = Math.max(0, fromIndex);
    while (true) {
      for (; next < lines.size(); next++) {
        if (matcher.test(lines.get(next).text())) {
          return lines.get(next);
        }
      }
      long remainingNanos = deadlineNanos - System.nanoTime();
      if (closed || remainingNanos <= 0) {
        return null;
      }
      long millis = Math.max(1, remainingNanos / 1_000_000);
      wait(Math.min(millis, 1000));
    }
  }

  private void split(ByteBuffer bytes) {
    while (bytes.hasRemaining()) {
      byte b = bytes.get();
      if (b == '\n') {
        lines.add(line(clean(partial.toByteArray())));
        partial.reset();
      } else {
        partial.write(b);
      }
    }
  }

  private SerialLine line(String text) {
    return new SerialLine(lines.size(), text, System.nanoTime());
  }

  static String clean(byte[] raw) {
    String text = new String(raw, StandardCharsets.UTF_8);
    return CONTROLS.matcher(ESCAPES.matcher(text).replaceAll("")).replaceAll("");
  }
}
