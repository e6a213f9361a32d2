package org.vccp.qemu.image;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kit's use of apt and dpkg, all as an ordinary user: ask for candidate versions, download a
 * pinned {@code .deb} into a directory, read its Depends, unpack it. Failures name the command and
 * apt's own "E:" line.
 */
final class Apt {

  /** What {@code linux-image-cloud-amd64} resolves to: itself and the kernel package it pins. */
  record Kernel(String metaVersion, String kernelPackage, String kernelVersion) {}

  static final String HINT = "run apt-get update as root";

  private static final Logger LOG = LoggerFactory.getLogger(Apt.class);
  private static final Duration QUERY_TIMEOUT = Duration.ofMinutes(1);
  private static final Duration DOWNLOAD_TIMEOUT = Duration.ofMinutes(10);
  private static final Pattern VERSIONED_KERNEL =
      Pattern.compile("(linux-image-[^\\s,(|]+)\\s*\\(=\\s*([^)\\s]+)\\)");

  /** The files that decide apt's candidate versions. */
  private static final List<Path> STATE =
      List.of(
          Path.of("/var/lib/apt/lists"),
          Path.of("/etc/apt/preferences"),
          Path.of("/etc/apt/preferences.d"),
          Path.of("/var/lib/dpkg/status"));

  private Apt() {}

  /**
   * The candidate of {@code metaPackage} and the kernel package it pins. apt-cache takes about half
   * a second, so the answer is remembered in {@code memoDir/apt-<state hash>.txt} until the apt
   * lists, preferences or dpkg status change.
   */
  static Kernel resolveKernel(String metaPackage, Path memoDir) {
    String fingerprint = stateFingerprint();
    Path memo = fingerprint == null ? null : memoDir.resolve("apt-" + fingerprint + ".txt");
    if (memo != null && Files.isRegularFile(memo)) {
      try {
        String[] remembered = Files.readString(memo).strip().split(" ");
        if (remembered.length == 3) {
          return new Kernel(remembered[0], remembered[1], remembered[2]);
        }
      } catch (IOException e) {
        LOG.debug("ignoring unreadable apt memo {}: {}", memo, e.toString());
      }
    }
    Map<String, String> meta = show(metaPackage);
    String depends = meta.getOrDefault("Depends", "");
    Matcher matcher = VERSIONED_KERNEL.matcher(depends);
    if (!matcher.find()) {
      throw new GuestImageException(
          metaPackage
              + " "
              + meta.get("Version")
              + " depends on no versioned linux-image package (Depends: "
              + depends
              + "); the guest image kit expects Debian's cloud kernel");
    }
    Kernel kernel = new Kernel(meta.get("Version"), matcher.group(1), matcher.group(2));
    if (memo != null) {
      try {
        ImageCache.deleteMatching(memoDir, "apt-*.txt");
        ImageCache.writeAtomically(
            memo,
            kernel.metaVersion() + " " + kernel.kernelPackage() + " " + kernel.kernelVersion());
      } catch (IOException e) {
        LOG.debug("could not remember the apt answer in {}: {}", memo, e.toString());
      }
    }
    return kernel;
  }

  /** The candidate's control fields, from {@code apt-cache show --no-all-versions}. */
  static Map<String, String> show(String pkg) {
    HostCommand.Result result =
        HostCommand.runOrFail(
            List.of("apt-cache", "show", "--no-all-versions", pkg), null, QUERY_TIMEOUT, HINT);
    Map<String, String> fields = new HashMap<>();
    result
        .stdout()
        .lines()
        .forEach(
            line -> {
              int colon = line.indexOf(':');
              if (colon > 0 && !Character.isWhitespace(line.charAt(0))) {
                fields.putIfAbsent(line.substring(0, colon), line.substring(colon + 1).strip());
              }
            });
    if (!fields.containsKey("Version")) {
      throw new GuestImageException("apt-cache show " + pkg + " printed no Version; " + HINT);
    }
    return fields;
  }

  /** {@code apt-get download pkg=version} into {@code dir}; returns the {@code .deb}. */
  static Path download(Path dir, String pkg, String version) throws IOException {
    String pinned = pkg + "=" + version;
    HostCommand.runOrFail(List.of("apt-get", "download", pinned), dir, DOWNLOAD_TIMEOUT, HINT);
    try (DirectoryStream<Path> found = Files.newDirectoryStream(dir, pkg + "_*.deb")) {
      for (Path deb : found) {
        return deb;
      }
    }
    throw new GuestImageException(
        "apt-get download " + pinned + " succeeded but left no " + pkg + "_*.deb in " + dir);
  }

  /** Checks that the downloaded meta package pins the kernel apt-cache named. */
  static void checkPins(Path metaDeb, Kernel kernel) {
    String depends =
        HostCommand.runOrFail(
                List.of("dpkg-deb", "-f", metaDeb.toString(), "Depends"), null, QUERY_TIMEOUT, "")
            .stdout()
            .strip();
    Matcher matcher = VERSIONED_KERNEL.matcher(depends);
    if (!matcher.find()
        || !matcher.group(1).equals(kernel.kernelPackage())
        || !matcher.group(2).equals(kernel.kernelVersion())) {
      throw new GuestImageException(
          metaDeb.getFileName()
              + " depends on '"
              + depends
              + "', not "
              + kernel.kernelPackage()
              + " (= "
              + kernel.kernelVersion()
              + ") as apt-cache said; "
              + HINT
              + " and retry");
    }
  }

  /** {@code dpkg -x deb target}; returns {@code target}. */
  static Path extract(Path deb, Path target) throws IOException {
    Files.createDirectories(target);
    HostCommand.runOrFail(
        List.of("dpkg", "-x", deb.toString(), target.toString()), null, DOWNLOAD_TIMEOUT, "");
    return target;
  }

  /** Hash over names, sizes and times of {@link #STATE}; null if none can be read. */
  private static String stateFingerprint() {
    StringBuilder state = new StringBuilder();
    for (Path path : STATE) {
      List<Path> files = new ArrayList<>();
      try {
        if (Files.isDirectory(path)) {
          try (Stream<Path> list = Files.list(path)) {
            list.filter(Files::isRegularFile).sorted().forEach(files::add);
          }
        } else if (Files.isRegularFile(path)) {
          files.add(path);
        }
        for (Path file : files) {
          BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
          state.append(file).append(' ').append(attributes.size()).append(' ');
          state.append(attributes.lastModifiedTime().toMillis()).append('\n');
        }
      } catch (IOException e) {
        return null;
      }
    }
    return state.length() == 0 ? null : ImageInputs.sha256(state.toString()).substring(0, 16);
  }
}
