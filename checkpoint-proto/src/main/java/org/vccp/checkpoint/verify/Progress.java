package org.vccp.checkpoint.verify;

import java.io.PrintStream;

/**
 * Progress over the total input bytes: a one-line bar on a terminal ({@link #bar}), nothing
 * otherwise ({@link #NONE}). Updated every few thousand frames, redrawn at most 10 times a second.
 */
public interface Progress {
  Progress NONE =
      new Progress() {
        @Override
        public void update(long positionInFile) {}

        @Override
        public void fileDone(long fileBytes) {}

        @Override
        public void finish() {}
      };

  /** The current file's read position. */
  void update(long positionInFile);

  /** The current file was read to its end. */
  void fileDone(long fileBytes);

  void finish();

  /** A bar drawn on {@code out} for {@code totalBytes} of input. */
  static Progress bar(PrintStream out, long totalBytes) {
    return new Progress() {
      private long done;
      private long lastDraw;
      private final long start = System.nanoTime();

      @Override
      public void update(long positionInFile) {
        long now = System.nanoTime();
        if (now - lastDraw < 100_000_000L) {
          return;
        }
        lastDraw = now;
        draw(done + positionInFile, now);
      }

      @Override
      public void fileDone(long fileBytes) {
        done += fileBytes;
      }

      private void draw(long bytes, long now) {
        int width = 40;
        double f = totalBytes <= 0 ? 1 : Math.min(1, bytes / (double) totalBytes);
        int n = (int) (f * width);
        double secs = (now - start) / 1e9;
        out.printf(
            "\rverify [%s%s] %3d%% %,d MB %.0f MB/s ",
            "=".repeat(n),
            " ".repeat(width - n),
            (int) (f * 100),
            bytes >> 20,
            secs > 0 ? (bytes >> 20) / secs : 0.0);
        out.flush();
      }

      @Override
      public void finish() {
        draw(done, System.nanoTime());
        out.println();
      }
    };
  }
}
