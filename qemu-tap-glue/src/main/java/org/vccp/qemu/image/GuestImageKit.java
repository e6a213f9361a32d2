package org.vccp.qemu.image;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the bootable test guest from Debian packages, without root and without the internet beyond
 * the apt mirror: Debian's cloud kernel, its eight virtio modules, the host's static busybox, an
 * optional static UDP helper, and the {@code /init} script that runs the workloads.
 *
 * <p>Images are cached under {@code $XDG_CACHE_HOME/vccp/guest-image/<release>-<hash>}, where the
 * hash covers every input (package versions, busybox, module list, /init, helper source). A {@code
 * SHA256SUMS} file beside the kernel and initramfs is checked on every use, so a damaged entry is
 * rebuilt rather than booted. Builds happen in a {@code .build-*} directory and are renamed into
 * place in one step, under a lock file, so concurrent builders (threads or JVMs) never see half an
 * image. Which package versions apt offers is remembered per apt-lists state, so a warm {@link
 * #build()} runs no external command at all.
 */
public final class GuestImageKit {

  /** Kernel modules the guest loads, in insmod order (plain {@code .ko}, no modules.dep). */
  public static final List<String> VIRTIO_MODULES =
      List.of(
          "failover",
          "net_failover",
          "virtio_ring",
          "virtio",
          "virtio_pci_legacy_dev",
          "virtio_pci_modern_dev",
          "virtio_pci",
          "virtio_net");

  static final String META_PACKAGE = "linux-image-cloud-amd64";
  static final String BUSYBOX_PACKAGE = "busybox-static";

  private static final Logger LOG = LoggerFactory.getLogger(GuestImageKit.class);
  private static final Duration GCC_TIMEOUT = Duration.ofMinutes(1);
  private static final List<Path> HOST_BUSYBOX =
      List.of(Path.of("/bin/busybox"), Path.of("/usr/bin/busybox"));
  private static final Path STATIC_LIBC = Path.of("/usr/lib/x86_64-linux-gnu/libc.a");
  private static final List<String> ROOT_DIRS =
      List.of("dev", "proc", "sys", "tmp", "www", "root", "etc", "sbin", "usr/bin", "usr/sbin");

  /** FileLock excludes other JVMs only; this excludes other threads of this one. */
  private static final ReentrantLock JVM_LOCK = new ReentrantLock();

  private final Path cacheDir;

  /** A kit caching under {@link #defaultCacheHome()}. */
  public GuestImageKit() {
    this(defaultCacheHome());
  }

  /**
   * A kit caching under {@code cacheHome/vccp/guest-image}.
   *
   * @param cacheHome plays the role of {@code $XDG_CACHE_HOME}; tests pass a temporary directory
   */
  public GuestImageKit(Path cacheHome) {
    this.cacheDir = cacheHome.toAbsolutePath().resolve("vccp").resolve("guest-image");
  }

  /** {@code $XDG_CACHE_HOME} when set to an absolute path, else {@code ~/.cache}. */
  public static Path defaultCacheHome() {
    String xdg = System.getenv("XDG_CACHE_HOME");
    if (xdg != null && !xdg.isBlank() && Path.of(xdg).isAbsolute()) {
      return Path.of(xdg);
    }
    return Path.of(System.getProperty("user.home"), ".cache");
  }

  /** The directory holding one subdirectory per cached image. */
  public Path cacheDir() {
    return cacheDir;
  }

  /** The /init script every image carries. */
  public static String initScript() {
    return resource("init.sh");
  }

  /**
   * Returns the cached image for the current inputs, building it first if it is missing or fails
   * its checksums.
   *
   * @throws GuestImageException naming the failed step and what to do about it
   */
  public GuestImage build() {
    return build(step -> {}).image();
  }

  /**
   * What {@link #build(Consumer)} did.
   *
   * @param image the kernel and initramfs
   * @param fromCache true when a valid cached image was used, false when it was built now
   * @param took time spent in {@link #build(Consumer)}
   */
  public record BuildResult(GuestImage image, boolean fromCache, Duration took) {

    /** The cache directory holding the image, its {@code SHA256SUMS} and {@code inputs.txt}. */
    public Path dir() {
      return image.kernel().getParent();
    }
  }

  /**
   * {@link #build()}, telling {@code progress} about each slow step as it starts (resolving package
   * versions, each download, extraction, compiling the UDP helper, packing).
   */
  public BuildResult build(Consumer<String> progress) {
    long startNs = System.nanoTime();
    return locked(
        () -> {
          progress.accept("resolving package versions (apt-cache, remembered per apt state)");
          ImageInputs inputs = resolveInputs();
          Path dir = cacheDir.resolve(inputs.key());
          String problem = ImageCache.check(dir);
          if (problem == null) {
            LOG.debug("guest image cache hit: {}", dir);
            return new BuildResult(ImageCache.imageIn(dir), true, since(startNs));
          }
          if (Files.exists(dir)) {
            LOG.warn("guest image cache {} is unusable ({}); rebuilding it", dir, problem);
            progress.accept("cached image " + dir + " is unusable (" + problem + "); rebuilding");
            ImageCache.deleteTree(dir);
          }
          GuestImage image = buildInto(inputs, dir, progress);
          return new BuildResult(image, false, since(startNs));
        });
  }

  private static Duration since(long startNs) {
    return Duration.ofNanos(System.nanoTime() - startNs);
  }

  /** The valid cached image for the current inputs, if there is one; never builds. */
  public Optional<GuestImage> cached() {
    return locked(
        () -> {
          Path dir = cacheDir.resolve(resolveInputs().key());
          return ImageCache.check(dir) == null
              ? Optional.of(ImageCache.imageIn(dir))
              : Optional.empty();
        });
  }

  private <T> T locked(Supplier<T> action) {
    JVM_LOCK.lock();
    try {
      Files.createDirectories(cacheDir);
      try (FileChannel channel =
          FileChannel.open(
              cacheDir.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
        FileLock lock = channel.lock();
        try {
          ImageCache.deleteMatching(cacheDir, ".build-*"); // builds that died half way
          return action.get();
        } finally {
          lock.release();
        }
      }
    } catch (IOException e) {
      throw new GuestImageException(
          "guest image cache " + cacheDir + " is not usable: " + e + "; check its permissions", e);
    } finally {
      JVM_LOCK.unlock();
    }
  }

  private ImageInputs resolveInputs() {
    Apt.Kernel kernel = Apt.resolveKernel(META_PACKAGE, cacheDir);
    Path hostBusybox = findHostStaticBusybox();
    String busyboxId =
        hostBusybox != null
            ? ImageCache.sha256(hostBusybox)
            : Apt.show(BUSYBOX_PACKAGE).get("Version");
    String udpHelper = canBuildStaticC() ? resource("vccp-udp.c") : null;
    return new ImageInputs(
        kernel.metaVersion(),
        kernel.kernelPackage(),
        kernel.kernelVersion(),
        hostBusybox,
        busyboxId,
        initScript(),
        udpHelper);
  }

  private GuestImage buildInto(ImageInputs inputs, Path dir, Consumer<String> progress) {
    long startNs = System.nanoTime();
    LOG.info(
        "building guest image {} ({} {}, busybox {})",
        dir,
        inputs.kernelPackage(),
        inputs.kernelVersion(),
        inputs.hostBusybox() != null ? inputs.hostBusybox() : BUSYBOX_PACKAGE);
    Path work = null;
    try {
      work = Files.createTempDirectory(cacheDir, ".build-");
      Path debs = Files.createDirectories(work.resolve("debs"));

      progress.accept("downloading " + META_PACKAGE + " " + inputs.metaVersion());
      Path metaDeb = Apt.download(debs, META_PACKAGE, inputs.metaVersion());
      Apt.checkPins(
          metaDeb,
          new Apt.Kernel(inputs.metaVersion(), inputs.kernelPackage(), inputs.kernelVersion()));
      progress.accept("downloading " + inputs.kernelPackage() + " " + inputs.kernelVersion());
      Path kernelDeb = Apt.download(debs, inputs.kernelPackage(), inputs.kernelVersion());
      progress.accept("extracting the kernel and its virtio modules");
      Path kernelTree = Apt.extract(kernelDeb, work.resolve("kernel"));
      Path vmlinuz = kernelTree.resolve("boot/vmlinuz-" + inputs.kernelRelease());
      if (!Files.isRegularFile(vmlinuz)) {
        throw new GuestImageException(
            inputs.kernelPackage() + " has no /boot/vmlinuz-" + inputs.kernelRelease());
      }
      Map<String, Path> modules =
          findModules(
              kernelTree.resolve("lib/modules/" + inputs.kernelRelease()), inputs.kernelPackage());

      Path busybox = inputs.hostBusybox();
      if (busybox == null) {
        progress.accept("downloading " + BUSYBOX_PACKAGE + " " + inputs.busyboxId());
        Path busyboxDeb = Apt.download(debs, BUSYBOX_PACKAGE, inputs.busyboxId());
        busybox = Apt.extract(busyboxDeb, work.resolve("busybox")).resolve("bin/busybox");
      }

      if (inputs.udpHelperSource() != null) {
        progress.accept("compiling the UDP helper vccp-udp (gcc -static)");
      }
      Path root = stageRoot(work, inputs, busybox, modules);
      Path out = Files.createDirectories(work.resolve("out"));
      Files.copy(vmlinuz, out.resolve(ImageCache.KERNEL_FILE));
      progress.accept("packing the initramfs (cpio newc, gzip) and writing SHA256SUMS");
      Initramfs.pack(root, out.resolve(ImageCache.INITRD_FILE), work);
      Files.writeString(out.resolve(ImageCache.INPUTS_FILE), inputs.describe());
      ImageCache.writeSums(out);
      Files.move(out, dir, StandardCopyOption.ATOMIC_MOVE);
      LOG.info("guest image ready in {} ms: {}", (System.nanoTime() - startNs) / 1_000_000, dir);
      return ImageCache.imageIn(dir);
    } catch (IOException e) {
      throw new GuestImageException(
          "building the guest image in " + cacheDir + " failed: " + e + "; check free space", e);
    } finally {
      if (work != null) {
        ImageCache.deleteTree(work);
      }
    }
  }

  private static Map<String, Path> findModules(Path moduleTree, String pkg) throws IOException {
    Map<String, Path> byName = new HashMap<>();
    if (Files.isDirectory(moduleTree)) {
      try (Stream<Path> walk = Files.walk(moduleTree)) {
        walk.filter(Files::isRegularFile)
            .forEach(file -> byName.putIfAbsent(file.getFileName().toString(), file));
      }
    }
    Map<String, Path> modules = new LinkedHashMap<>();
    for (String module : VIRTIO_MODULES) {
      Path file = byName.get(module + ".ko");
      if (file == null) {
        boolean compressed =
            byName.containsKey(module + ".ko.xz") || byName.containsKey(module + ".ko.zst");
        throw new GuestImageException(
            pkg
                + " has no "
                + module
                + ".ko under "
                + moduleTree
                + (compressed
                    ? " (only a compressed module, which busybox insmod cannot load)"
                    : "; the guest needs it for virtio-net"));
      }
      modules.put(module, file);
    }
    return modules;
  }

  /** The initramfs tree: /init, /bin/busybox, [/bin/vccp-udp], /lib/modules, empty mount points. */
  private static Path stageRoot(
      Path work, ImageInputs inputs, Path busybox, Map<String, Path> modules) throws IOException {
    Path root = Files.createDirectories(work.resolve("root"));
    for (String dir : ROOT_DIRS) {
      Files.createDirectories(root.resolve(dir));
    }
    Path bin = Files.createDirectories(root.resolve("bin"));
    Path moduleDir = Files.createDirectories(root.resolve("lib/modules"));

    Files.writeString(root.resolve("init"), inputs.initScript());
    Files.copy(busybox, bin.resolve("busybox"));
    for (Map.Entry<String, Path> module : modules.entrySet()) {
      Files.copy(module.getValue(), moduleDir.resolve(module.getKey() + ".ko"));
    }
    Files.writeString(moduleDir.resolve("load-order"), String.join("\n", modules.keySet()) + "\n");
    if (inputs.udpHelperSource() != null) {
      Path source = work.resolve("vccp-udp.c");
      Files.writeString(source, inputs.udpHelperSource());
      HostCommand.runOrFail(
          List.of(
              "gcc",
              "-static",
              "-Os",
              "-s",
              "-o",
              bin.resolve("vccp-udp").toString(),
              source.toString()),
          null,
          GCC_TIMEOUT,
          "the UDP helper is built whenever gcc and " + STATIC_LIBC + " exist");
    }

    try (Stream<Path> walk = Files.walk(root)) {
      for (Path path : (Iterable<Path>) walk::iterator) {
        boolean executable =
            Files.isDirectory(path) || path.getParent().equals(bin) || path.endsWith("init");
        Files.setPosixFilePermissions(
            path, PosixFilePermissions.fromString(executable ? "rwxr-xr-x" : "rw-r--r--"));
      }
    }
    return root;
  }

  private static Path findHostStaticBusybox() {
    for (Path candidate : HOST_BUSYBOX) {
      try {
        if (Files.isRegularFile(candidate) && ElfFile.isStaticExecutable(candidate)) {
          return candidate;
        }
      } catch (IOException e) {
        LOG.debug("cannot inspect {}: {}", candidate, e.toString());
      }
    }
    return null;
  }

  private static boolean canBuildStaticC() {
    if (!Files.isRegularFile(STATIC_LIBC)) {
      return false;
    }
    String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
    for (String dir : path.split(":")) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "gcc"))) {
        return true;
      }
    }
    return false;
  }

  private static String resource(String name) {
    try (InputStream in = GuestImageKit.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException(name + " is missing from the qemu-tap-glue jar");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
