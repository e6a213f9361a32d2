package org.vccp.perf.loadgen;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import picocli.CommandLine.Option;

/** Command-line settings for starting peers, shared by {@code loadgen} and {@code compare}. */
public final class PeerOptions {
  public static final String VCCP = "vccp";
  public static final String VCCP_RECORDING = "vccp-rec";

  /** Recording every event in full, as before frames were written once (for comparison). */
  public static final String VCCP_RECORDING_FULL = "vccp-rec-full";

  public static final String QEMU_HUB = "qemu-hub";

  @Option(
      names = "--vccp-jar",
      paramLabel = "JAR",
      description = "The switch's runnable jar (default: vccp-cli/target/vccp.jar found upwards).")
  Path vccpJar;

  @Option(
      names = "--switch-jvm-opt",
      paramLabel = "OPT",
      description = "A JVM option for the switch process, e.g. -Xmx256m (repeatable).")
  List<String> switchJvmOptions = new ArrayList<>();

  @Option(
      names = "--switch-arg",
      paramLabel = "ARG",
      description = "An extra argument after the switch's --port options (repeatable).")
  List<String> switchArguments = new ArrayList<>();

  @Option(
      names = "--record-dir",
      paramLabel = "DIR",
      description =
          "Where the vccp-rec peer records (default: the run's directory, on the same file system"
              + " as /tmp); e.g. /dev/shm to measure the switch's cost apart from the disk's.")
  Path recordDir;

  @Option(
      names = "--qemu",
      paramLabel = "BINARY",
      defaultValue = QemuHubPeer.DEFAULT_BINARY,
      description = "QEMU binary for the hub peer (default: ${DEFAULT-VALUE}).")
  String qemuBinary = QemuHubPeer.DEFAULT_BINARY;

  /** A maker of fresh peers called {@code name}; throws naming the valid names otherwise. */
  public Supplier<PeerUnderTest> factory(String name) {
    switch (name) {
      case VCCP:
      case VCCP_RECORDING:
      case VCCP_RECORDING_FULL:
        Path jar =
            vccpJar != null
                ? vccpJar
                : VccpSwitchPeer.locateJar()
                    .orElse(Path.of("vccp-cli", "target", "vccp.jar").toAbsolutePath());
        List<String> args = new ArrayList<>(switchArguments);
        if (name.equals(VCCP_RECORDING_FULL)) {
          args.addAll(List.of("--record-egress-snaplen", "65535"));
        }
        return () -> new VccpSwitchPeer(jar, switchJvmOptions, args, name, recordDir);
      case QEMU_HUB:
        return () -> new QemuHubPeer(qemuBinary);
      default:
        throw new IllegalArgumentException(
            "unknown peer '"
                + name
                + "'; use "
                + String.join(", ", VCCP, VCCP_RECORDING, VCCP_RECORDING_FULL)
                + " or "
                + QEMU_HUB);
    }
  }
}
