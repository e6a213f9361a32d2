package org.vccp.qemu.image;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A bootable guest: a kernel for {@code -kernel} and a gzipped newc initramfs for {@code -initrd}
 * whose {@code /init} understands the {@code vccp.*} kernel parameters (see {@link GuestParams}).
 */
public record GuestImage(Path kernel, Path initrd) {

  public GuestImage {
    Objects.requireNonNull(kernel, "kernel");
    Objects.requireNonNull(initrd, "initrd");
  }
}
