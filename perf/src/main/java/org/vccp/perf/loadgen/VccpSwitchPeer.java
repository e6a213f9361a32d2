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
public final class VccpSwitchPeer implements PeerUnderTest {
  private static final long STARTUP_TIMEOUT_MS = 30_000;

  private final Path jar;
  private final List<String> jvmOptions;
  private final List<String> extraArguments;
  private PeerProcess process;

  public VccpSwitchPeer(Path jar, List<String> jvmOptions, List<String> extraArguments) {
    this.jar = jar;
    this.jvmOptions = List.copyOf(jvmOptions);
    this.extraArguments = List.copyOf(extraArguments);
  }

  @Override
  public String name() {
    return "vccp";
  }

  /** The full command line for these sockets. */
  List<String> command(List<Path> portSockets) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmOptions);
    command.addAll(List.of("-jar", jar.toString(), "switch"));
    for (int i = 0; i < portSockets.size(); i++) {
      command.add("--port");
      command.add("p" + i + ",listen=unix:" + portSockets.get(i).toAbsolutePath());
    }
    command.addAll(extraArguments);
    return command;
  }

  @Override
  public void start(List<Path> portSockets) throws IOException, InterruptedException {
    if (process != null) {
      throw new IllegalStateException("vccp switch is already started");
    }
    if (!Files.isRegularFile(jar)) {
      throw new IOException(
          "vccp switch jar "
              + jar
              + " does not exist; build it with `mvn -B -q -pl vccp-cli -am package"
              + " -DskipTests` or pass --vccp-jar");
    }
    Path log = portSockets.get(0).resolveSibling("vccp-switch.log");
    // The switch's control socket defaults to a per-user path; a benchmark switch bound there
    // would take it over from a switch the user is running, so give it the run's directory.
    Map<String, String> environment =
        Map.of("VCCP_RUNTIME_DIR", portSockets.get(0).toAbsolutePath().getParent().toString());
    process = PeerProcess.start("vccp switch", command(portSockets), environment, log);
    try {
      process.awaitSockets(portSockets, STARTUP_TIMEOUT_MS);
    } catch (IOException | InterruptedException e) {
      close();
      throw e;
    }
  }

  @Override
  public long residentKib() {
    return process == null ? -1 : process.residentKib();
  }

  @Override
  public long pid() {
    return process == null ? -1 : process.pid();
  }

  @Override
  public void close() {
    if (process != null) {
      process.close();
    }
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
