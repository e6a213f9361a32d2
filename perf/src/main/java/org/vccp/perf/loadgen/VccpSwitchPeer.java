package org.vccp.perf.loadgen;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The VCCP switch as a separate JVM, started the way a user would:
 *
 * <pre>
 * java [jvm options] -jar vccp-cli/target/vccp.jar switch \
 *     --port p0,listen=unix:PATH0 --port p1,listen=unix:PATH1 ... [extra arguments]
 * </pre>
 *
 * <p>What it expects of the switch: it creates each socket file and accepts one stream client on it
 * (QEMU framing, the generator plays a QEMU guest with {@code server=off}); it floods broadcast,
 * learns source MACs and forwards unicast to the learned port; it stops on SIGTERM. The port named
 * {@code pN} is generator port N (senders first, then receivers). {@code VCCP_RUNTIME_DIR} points
 * at the run's private directory so its control socket lands there.
 */
public final class VccpSwitchPeer extends ProcessPeer {
  private static final long STARTUP_TIMEOUT_MS = 30_000;

  private final Path jar;
  private final List<String> jvmOptions;
  private final List<String> extraArguments;
  private final String peerName;
  private final boolean record;
  private final Path recordDir;
  private Path recordingOutsideRun;

  public VccpSwitchPeer(Path jar, List<String> jvmOptions, List<String> extraArguments) {
    this(jar, jvmOptions, extraArguments, PeerOptions.VCCP, null);
  }

  /**
   * @param peerName {@code vccp}, or a recording peer ({@code vccp-rec}, {@code vccp-rec-full})
   *     that runs the switch with {@code --record} into the run's directory or {@code recordDir},
   *     to measure what recording costs side by side with {@code vccp}
   */
  public VccpSwitchPeer(
      Path jar,
      List<String> jvmOptions,
      List<String> extraArguments,
      String peerName,
      Path recordDir) {
    super(
        peerName.equals(PeerOptions.VCCP) ? "vccp switch" : "vccp switch (recording)",
        "vccp-switch.log",
        STARTUP_TIMEOUT_MS);
    this.jar = jar;
    this.jvmOptions = List.copyOf(jvmOptions);
    this.extraArguments = List.copyOf(extraArguments);
    this.peerName = peerName;
    this.record = !peerName.equals(PeerOptions.VCCP);
    this.recordDir = recordDir;
  }

  @Override
  public String name() {
    return peerName;
  }

  @Override
  List<String> command(List<Path> portSockets) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmOptions);
    command.addAll(List.of("-jar", jar.toString(), "switch"));
    for (int i = 0; i < portSockets.size(); i++) {
      command.add("--port");
      command.add("p" + i + ",listen=unix:" + portSockets.get(i).toAbsolutePath());
    }
    if (record) {
      command.add("--record");
      Path runDir = portSockets.get(0).toAbsolutePath().getParent();
      Path recording =
          recordDir != null ? recordDir.resolve(runDir.getFileName()) : runDir.resolve("recording");
      // the run's directory goes with the run; a recording elsewhere (e.g. gigabytes in /dev/shm)
      // must go too, but only one this run creates: not the run's directory (--record-dir being
      // its parent) nor anything already there
      Path normalized = recording.toAbsolutePath().normalize();
      recordingOutsideRun =
          !normalized.startsWith(runDir.normalize()) && !Files.exists(normalized)
              ? normalized
              : null;
      command.add(recording.toString());
    }
    command.addAll(extraArguments);
    return command;
  }

  @Override
  void afterStop() {
    Path recording = recordingOutsideRun;
    recordingOutsideRun = null; // once: close() may run twice (a failed start, then the runner)
    if (recording != null && Files.exists(recording)) {
      BenchmarkRunner.deleteQuietly(recording);
    }
  }

  @Override
  void checkRunnable() throws IOException {
    if (!Files.isRegularFile(jar)) {
      throw new IOException(
          "vccp switch jar "
              + jar
              + " does not exist; build it with `mvn -B -q -pl vccp-cli -am package"
              + " -DskipTests` or pass --vccp-jar");
    }
  }

  /**
   * The switch's control socket defaults to a per-user path; a benchmark switch bound there would
   * take it over from a switch the user is running, so give it the run's directory.
   */
  @Override
  Map<String, String> environment(List<Path> portSockets) {
    return Map.of("VCCP_RUNTIME_DIR", portSockets.get(0).toAbsolutePath().getParent().toString());
  }

  /**
   * Finds {@code vccp-cli/target/vccp.jar}: under the {@code vccp.projectRoot} system property,
   * then in the working directory and its parents, then next to this jar's module.
   */
  public static Optional<Path> locateJar() {
    List<Path> roots = new ArrayList<>();
    String projectRoot = System.getProperty("vccp.projectRoot");
    if (projectRoot != null && !projectRoot.isBlank()) {
      roots.add(Path.of(projectRoot));
    }
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      roots.add(p);
    }
    try {
      Path self =
          Path.of(VccpSwitchPeer.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      for (Path p = self.getParent(); p != null; p = p.getParent()) {
        roots.add(p);
      }
    } catch (Exception e) {
      // No code source (e.g. a custom class loader): the other roots still apply.
    }
    for (Path root : roots) {
      Path candidate = root.resolve("vccp-cli").resolve("target").resolve("vccp.jar");
      if (Files.isRegularFile(candidate)) {
        return Optional.of(candidate.normalize());
      }
    }
    return Optional.empty();
  }
}
