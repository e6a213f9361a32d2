package org.vccp.qemu.image;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * Everything a guest image is made from. Two builds from equal inputs give the same image, so the
 * hash of {@link #describe()} names the image's cache directory.
 *
 * @param metaVersion candidate version of {@code linux-image-cloud-amd64}
 * @param kernelPackage the versioned package it depends on, e.g. {@code
 *     linux-image-6.1.0-56-cloud-amd64}
 * @param kernelVersion that package's version (the meta package pins it with {@code =})
 * @param hostBusybox a static busybox on this host, or null to download {@code busybox-static}
 * @param busyboxId the host busybox's SHA-256, or the {@code busybox-static} version to download
 * @param initScript the /init script
 * @param udpHelperSource C source of {@code /bin/vccp-udp}, or null when the host has no gcc
 */
record ImageInputs(
    String metaVersion,
    String kernelPackage,
    String kernelVersion,
    Path hostBusybox,
    String busyboxId,
    String initScript,
    String udpHelperSource) {

  /** Bumped whenever the kit lays out the image differently for the same inputs. */
  static final int FORMAT = 1;

  /** {@code 6.1.0-56-cloud-amd64} for {@code linux-image-6.1.0-56-cloud-amd64}. */
  String kernelRelease() {
    return kernelPackage.substring("linux-image-".length());
  }

  /** The human-readable inputs, stored beside the image as {@code inputs.txt}. */
  String describe() {
    return String.join(
            "\n",
            List.of(
                "format=" + FORMAT,
                GuestImageKit.META_PACKAGE + "=" + metaVersion,
                "kernel-package=" + kernelPackage + "=" + kernelVersion,
                "busybox="
                    + (hostBusybox != null
                        ? "host:" + hostBusybox + " sha256=" + busyboxId
                        : "busybox-static=" + busyboxId),
                "modules=" + String.join(",", GuestImageKit.VIRTIO_MODULES),
                "init-sha256=" + sha256(initScript),
                "udp-helper="
                    + (udpHelperSource == null ? "none" : "sha256=" + sha256(udpHelperSource))))
        + "\n";
  }

  /** The cache directory name: kernel release plus 16 hex digits of the inputs' hash. */
  String key() {
    return kernelRelease() + "-" + sha256(describe()).substring(0, 16);
  }

  static String sha256(String text) {
    return sha256(text.getBytes(StandardCharsets.UTF_8));
  }

  static String sha256(byte[] bytes) {
    return HexFormat.of().formatHex(sha256Digest().digest(bytes));
  }

  static MessageDigest sha256Digest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }
}
