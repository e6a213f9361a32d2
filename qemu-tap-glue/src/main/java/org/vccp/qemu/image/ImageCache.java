package org.vccp.qemu.image;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The on-disk shape of one cached image and the file chores around it.
 *
 * <pre>
 * &lt;cache&gt;/vccp/guest-image/
 *   .lock                          held while checking or building
 *   apt-&lt;state hash&gt;.txt           remembered apt answer (see {@link Apt#resolveKernel})
 *   .build-*                       a build in progress, or debris of one that died
 *   6.1.0-56-cloud-amd64-&lt;hash&gt;/   one image: vmlinuz, initramfs.cpio.gz,
 *                                  inputs.txt, SHA256SUMS (sha256sum format)
 * </pre>
 */
final class ImageCache {

  static final String KERNEL_FILE = "vmlinuz";
  static final String INITRD_FILE = "initramfs.cpio.gz";
  static final String SUMS_FILE = "SHA256SUMS";
  static final String INPUTS_FILE = "inputs.txt";

  private ImageCache() {}

  static GuestImage imageIn(Path dir) {
    return new GuestImage(dir.resolve(KERNEL_FILE), dir.resolve(INITRD_FILE));
  }

  /** Null when {@code dir} holds a complete image whose checksums match, else what is wrong. */
  static String check(Path dir) {
    if (!Files.isDirectory(dir)) {
      return "not built";
    }
    try {
      Map<String, String> sums = new HashMap<>();
      for (String line : Files.readAllLines(dir.resolve(SUMS_FILE))) {
        String[] parts = line.strip().split("\\s+", 2);
        if (parts.length == 2) {
          sums.put(parts[1], parts[0]);
        }
      }
      for (String file : List.of(KERNEL_FILE, INITRD_FILE)) {
        String expected = sums.get(file);
        if (expected == null) {
          return SUMS_FILE + " has no entry for " + file;
        }
        if (!expected.equalsIgnoreCase(sha256(dir.resolve(file)))) {
          return file + " does not match its SHA-256 in " + SUMS_FILE;
        }
      }
      return null;
    } catch (IOException e) {
      return describe(e);
    } catch (UncheckedIOException e) {
      return describe(e.getCause());
    }
  }

  /** Writes {@code SHA256SUMS} for the kernel and initramfs in {@code dir}. */
  static void writeSums(Path dir) throws IOException {
    StringBuilder sums = new StringBuilder();
    for (String file : List.of(KERNEL_FILE, INITRD_FILE)) {
      sums.append(sha256(dir.resolve(file))).append("  ").append(file).append('\n');
    }
    Files.writeString(dir.resolve(SUMS_FILE), sums);
  }

  static String sha256(Path file) {
    MessageDigest digest = ImageInputs.sha256Digest();
    byte[] buffer = new byte[1 << 16];
    try (InputStream in = Files.newInputStream(file)) {
      for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
        digest.update(buffer, 0, n);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  static void writeAtomically(Path target, String line) throws IOException {
    Path temp = Files.createTempFile(target.getParent(), ".tmp-", ".txt");
    Files.writeString(temp, line + "\n");
    Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  static void deleteMatching(Path dir, String glob) throws IOException {
    try (DirectoryStream<Path> found = Files.newDirectoryStream(dir, glob)) {
      for (Path path : found) {
        deleteTree(path);
      }
    }
  }

  static void deleteTree(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path path : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
        try {
          Files.deleteIfExists(path);
        } catch (AccessDeniedException e) {
          // dpkg -x run by a user may leave read-only directories
          Files.setPosixFilePermissions(
              path.getParent(), PosixFilePermissions.fromString("rwx------"));
          Files.deleteIfExists(path);
        }
      }
    } catch (IOException e) {
      throw new GuestImageException(
          "cannot delete " + root + ": " + e + "; remove it by hand and retry", e);
    }
  }

  private static String describe(IOException e) {
    return e instanceof NoSuchFileException ? e.getMessage() + " is missing" : "unreadable: " + e;
  }
}
