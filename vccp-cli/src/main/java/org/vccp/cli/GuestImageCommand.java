package org.vccp.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.vccp.qemu.image.GuestImage;
import org.vccp.qemu.image.GuestImageKit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code vccp guest-image build|path}: the test guest's kernel and initramfs. */
@Command(
    name = "guest-image",
    mixinStandardHelpOptions = true,
    description = {
      "Build or locate the test guest: Debian's cloud kernel and a busybox initramfs whose /init"
          + " runs the vccp.* workloads, made from Debian packages with apt-get download (no"
          + " root) and cached with checksums.",
      ""
    },
    subcommands = {GuestImageCommand.Build.class, GuestImageCommand.Where.class})
final class GuestImageCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** The cache location option both subcommands share. */
  static final class CacheOption {
    @Option(
        names = "--cache-home",
        paramLabel = "DIR",
        description =
            "Cache root, in the role of XDG_CACHE_HOME; images go under DIR/vccp/guest-image"
                + " (default: $XDG_CACHE_HOME, else ~/.cache).")
    Path cacheHome;

    GuestImageKit kit() {
      return cacheHome == null ? new GuestImageKit() : new GuestImageKit(cacheHome);
    }
  }

  static void printImage(PrintWriter out, GuestImage image) {
    out.println("kernel  " + image.kernel());
    out.println("initrd  " + image.initrd());
  }

  @Command(
      name = "build",
      mixinStandardHelpOptions = true,
      description = {
        "Build the guest image unless a valid one for the current inputs is cached, then print"
            + " where its kernel and initramfs are and whether they came from the cache.",
        ""
      })
  static final class Build implements Callable<Integer> {
    @Spec CommandSpec spec;
    @picocli.CommandLine.Mixin CacheOption cache = new CacheOption();

    @Override
    public Integer call() {
      System.setProperty("org.slf4j.simpleLogger.log.org.vccp.qemu.image", "warn");
      PrintWriter out = spec.commandLine().getOut();
      long t0 = System.nanoTime();
      GuestImageKit.BuildResult result =
          cache
              .kit()
              .build(
                  step -> {
                    out.printf(Locale.ROOT, "[%5.1fs] %s%n", (System.nanoTime() - t0) / 1e9, step);
                    out.flush();
                  });
      printImage(out, result.image());
      out.printf(
          Locale.ROOT,
          "source  %s%n",
          result.fromCache()
              ? "cache (" + result.dir() + ", checksums verified)"
              : String.format(
                  Locale.ROOT,
                  "built now in %.1f s into %s",
                  result.took().toMillis() / 1000.0,
                  result.dir()));
      out.flush();
      return 0;
    }
  }

  @Command(
      name = "path",
      mixinStandardHelpOptions = true,
      description = {
        "Print where the cached guest kernel and initramfs are, without building; exit status 1"
            + " when no valid image for the current inputs is cached.",
        ""
      })
  static final class Where implements Callable<Integer> {
    @Spec CommandSpec spec;
    @picocli.CommandLine.Mixin CacheOption cache = new CacheOption();

    @Override
    public Integer call() {
      GuestImageKit kit = cache.kit();
      Optional<GuestImage> image = kit.cached();
      if (image.isEmpty()) {
        spec.commandLine()
            .getErr()
            .println(
                "vccp guest-image path: no valid guest image for the current inputs under "
                    + kit.cacheDir()
                    + "; run `vccp guest-image build` first");
        return 1;
      }
      printImage(spec.commandLine().getOut(), image.get());
      return 0;
    }
  }
}
