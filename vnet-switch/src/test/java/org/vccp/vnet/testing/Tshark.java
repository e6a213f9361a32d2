package org.vccp.vnet.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the real tshark over a capture file and returns the requested fields per frame. */
public final class Tshark {
  private Tshark() {}

  public static boolean available() {
    return Files.isExecutable(Path.of("/usr/bin/tshark"));
  }

  /** One array per frame, in file order, with {@code fields} in the order given. */
  public static List<String[]> fields(Path file, String... fields)
      throws IOException, InterruptedException {
    return fields(file, List.of(), fields);
  }

  /** Same, with tshark {@code options} (e.g. {@code -o tcp.check_checksum:TRUE}) before them. */
  public static List<String[]> fields(Path file, List<String> options, String... fields)
      throws IOException, InterruptedException {
    assumeTrue(
        available(),
        "tshark is not installed (apt-get install tshark); scripts/test.sh installs it");
    List<String> cmd =
        new ArrayList<>(
            List.of("tshark", "-r", file.toString(), "-T", "fields", "-E", "occurrence=f"));
    cmd.addAll(options);
    for (String f : fields) {
      cmd.add("-e");
      cmd.add(f);
    }
    Path out = Files.createTempFile("tshark", ".txt");
    Path err = Files.createTempFile("tshark", ".err");
    try {
      Process p =
          new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException("tshark did not finish reading " + file);
      }
      String stderr = Files.readString(err, StandardCharsets.UTF_8);
      if (p.exitValue() != 0) {
        throw new IllegalStateException("tshark failed on " + file + ": " + stderr);
      }
      List<String[]> rows = new ArrayList<>();
      for (String line : Files.readAllLines(out, StandardCharsets.UTF_8)) {
        rows.add(line.split("\t", -1));
      }
      return rows;
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }
}
