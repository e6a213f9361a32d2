package org.vccp.perf.loadgen;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The machine a benchmark ran on, as a reader of BENCHMARKS.md needs it to judge the numbers.
 *
 * @param cpus processors available to this JVM ({@code nproc})
 * @param cpuModel the first "model name" of {@code /proc/cpuinfo}
 * @param kernel {@code /proc/sys/kernel/osrelease}
 * @param java runtime name and version of this JVM (the switch JVM uses the same binary)
 * @param qemu first line of {@code qemu-system-x86_64 --version}, or "absent"
 */
public record MachineInfo(int cpus, String cpuModel, String kernel, String java, String qemu) {

  /** Describes this machine, with {@code qemuBinary} asked for its version. */
  public static MachineInfo detect(String qemuBinary) {
    return new MachineInfo(
        Runtime.getRuntime().availableProcessors(),
        readCpuModel(),
        readFirstLine(Path.of("/proc/sys/kernel/osrelease")),
        System.getProperty("java.runtime.name", "java")
            + " "
            + System.getProperty("java.runtime.version", "?"),
        qemuVersion(qemuBinary));
  }

  private static String readCpuModel() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("model name")) {
          return line.substring(line.indexOf(':') + 1).trim();
        }
      }
    } catch (IOException e) {
      // Fall through: not Linux or not readable.
    }
    return "unknown";
  }

  private static String readFirstLine(Path file) {
    try {
      return Files.readAllLines(file).stream().findFirst().orElse("unknown").trim();
    } catch (IOException e) {
      return "unknown";
    }
  }

  private static String qemuVersion(String binary) {
    try {
      Process p = new ProcessBuilder(binary, "--version").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
        return "absent";
      }
      return out.lines().findFirst().orElse("unknown").replace("QEMU emulator version ", "QEMU ");
    } catch (IOException e) {
      return "absent";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "unknown";
    }
  }

  /** One line for a report header. */
  public String summary() {
    return cpus + " × " + cpuModel + ", Linux " + kernel + ", " + java + ", " + qemu;
  }
}
