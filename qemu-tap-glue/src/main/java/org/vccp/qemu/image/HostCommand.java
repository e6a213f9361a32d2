package org.vccp.qemu.image;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs one host tool to completion with a deadline and hands back its exit code and output. */
final class HostCommand {

  /** What a finished command left behind. */
  record Result(List<String> command, int exitCode, String stdout, String stderr) {

    boolean succeeded() {
      return exitCode == 0;
    }

    /** The most telling line of stderr (apt's "E: ..." line if there is one), for messages. */
    String reason() {
      String text = stderr.isBlank() ? stdout : stderr;
      return text.lines()
          .filter(line -> line.startsWith("E: "))
          .findFirst()
          .or(() -> text.lines().filter(line -> !line.isBlank()).reduce((first, last) -> last))
          .map(String::strip)
          .orElse("exit code " + exitCode);
    }
  }

  private HostCommand() {}

  /**
   * Runs {@code command} in {@code workDir} (the JVM's directory if null), stdin from {@code
   * stdinFile} (/dev/null if null), stdout into {@code stdoutFile} (memory if null).
   *
   * @throws GuestImageException if the tool is missing or does not finish in time
   */
  static Result run(
      List<String> command, Path workDir, Path stdinFile, Path stdoutFile, Duration timeout) {
    String tool = command.get(0);
    Path out = null;
    Path err = null;
    Process process = null;
    try {
      out = stdoutFile != null ? stdoutFile : Files.createTempFile("vccp-cmd", ".out");
      err = Files.createTempFile("vccp-cmd", ".err");
      ProcessBuilder builder =
          new ProcessBuilder(command)
              .redirectInput(stdinFile != null ? stdinFile.toFile() : new File("/dev/null"))
              .redirectOutput(out.toFile())
              .redirectError(err.toFile());
      if (workDir != null) {
        builder.directory(workDir.toFile());
      }
      process = builder.start();
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        throw new GuestImageException(
            String.join(" ", command) + " did not finish within " + timeout.toMillis() + " ms");
      }
      String stdout = stdoutFile != null ? "" : Files.readString(out, StandardCharsets.UTF_8);
      return new Result(
          List.copyOf(command),
          process.exitValue(),
          stdout,
          Files.readString(err, StandardCharsets.UTF_8));
    } catch (IOException e) {
      if (process == null) {
        throw new GuestImageException(
            tool
                + " cannot be run ("
                + e.getMessage()
                + "); the guest image kit needs a Debian"
                + " host with apt-get, apt-cache, dpkg and cpio on the PATH",
            e);
      }
      throw new GuestImageException(tool + " output could not be read: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new GuestImageException(tool + " was interrupted", e);
    } finally {
      deleteQuietly(err);
      if (stdoutFile == null) {
        deleteQuietly(out);
      }
    }
  }

  /** Like {@link #run} but throws with {@code hint} appended when the command fails. */
  static Result runOrFail(List<String> command, Path workDir, Duration timeout, String hint) {
    Result result = run(command, workDir, null, null, timeout);
    if (!result.succeeded()) {
      throw new GuestImageException(
          String.join(" ", command)
              + " failed: "
              + result.reason()
              + (hint.isEmpty() ? "" : "; " + hint));
    }
    return result;
  }

  private static void deleteQuietly(Path path) {
    if (path != null) {
      try {
        Files.deleteIfExists(path);
      } catch (IOException ignored) {
        // a leftover temp file is harmless
      }
    }
  }
}
