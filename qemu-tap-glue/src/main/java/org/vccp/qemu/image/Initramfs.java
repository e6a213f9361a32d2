package org.vccp.qemu.image;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;

/**
 * Packs a staged root directory into a gzipped newc archive with the host's {@code cpio}.
 *
 * <p>The archive is reproducible: entries in sorted order, owner 0:0, every mtime 0, and
 * device-independent inode numbers ({@code --reproducible}); Java's gzip header carries no time. No
 * device nodes are needed: the kernel's built-in initramfs already has {@code /dev/console}, and
 * /init mounts devtmpfs.
 */
final class Initramfs {

  private static final Duration CPIO_TIMEOUT = Duration.ofMinutes(2);

  private Initramfs() {}

  /**
   * Archives everything under {@code root} into {@code target}; {@code scratch} holds temp files.
   */
  static void pack(Path root, Path target, Path scratch) throws IOException {
    List<Path> entries = new ArrayList<>();
    try (Stream<Path> walk = Files.walk(root)) {
      walk.filter(path -> !path.equals(root)).forEach(entries::add);
    }
    // Children first, so setting a file's time does not disturb its directory's afterwards.
    entries.sort(Comparator.comparing(Path::getNameCount).reversed());
    for (Path entry : entries) {
      Files.setLastModifiedTime(entry, FileTime.fromMillis(0));
    }

    StringBuilder names = new StringBuilder();
    entries.stream()
        .map(entry -> root.relativize(entry).toString())
        .sorted()
        .forEach(name -> names.append(name).append('\0'));
    Path nameList = scratch.resolve("cpio-names");
    Path archive = scratch.resolve("initramfs.cpio");
    Files.writeString(nameList, names, StandardCharsets.UTF_8);

    HostCommand.Result result =
        HostCommand.run(
            List.of(
                "cpio",
                "--create",
                "--format=newc",
                "--null",
                "--quiet",
                "--owner=0:0",
                "--reproducible"),
            root,
            nameList,
            archive,
            CPIO_TIMEOUT);
    if (!result.succeeded()) {
      throw new GuestImageException(
          "cpio could not pack the initramfs in " + root + ": " + result.reason());
    }
    gzip(archive, target);
  }

  private static void gzip(Path source, Path target) throws IOException {
    try (InputStream in = Files.newInputStream(source);
        OutputStream out = new BestGzipOutputStream(Files.newOutputStream(target))) {
      in.transferTo(out);
    }
  }

  /** A {@link GZIPOutputStream} at level 9, as {@code gzip -9} would write. */
  private static final class BestGzipOutputStream extends GZIPOutputStream {
    BestGzipOutputStream(OutputStream out) throws IOException {
      super(out, 64 * 1024);
      def.setLevel(Deflater.BEST_COMPRESSION);
    }
  }
}
