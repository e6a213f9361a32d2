package org.vccp.qemu.guest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.regex.Pattern;

/** The QEMU accelerator a guest runs under. */
public enum Accel {
  /** Software emulation; works everywhere, about ten times slower than KVM. */
  TCG("tcg"),
  /** Hardware virtualisation through /dev/kvm. */
  KVM("kvm");

  /** Set to {@code tcg} or {@code kvm} to override {@link #detect()}. */
  public static final String OVERRIDE_ENV = "VCCP_QEMU_ACCEL";

  private static final Path KVM_DEVICE = Path.of("/dev/kvm");
  private static final Pattern VIRT_FLAG = Pattern.compile("(?m)^flags\\s*:.*\\b(vmx|svm)\\b");

  private final String qemuName;

  Accel(String qemuName) {
    this.qemuName = qemuName;
  }

  /** The name for {@code -accel}. */
  public String qemuName() {
    return qemuName;
  }

  /**
   * KVM when /dev/kvm is readable and writable and the CPU advertises vmx or svm, else TCG; the
   * environment variable {@value #OVERRIDE_ENV} overrides. The CPU check matters: some sandboxes
   * offer a /dev/kvm that opens (QEMU even starts) but never runs a guest.
   */
  public static Accel detect() {
    String override = System.getenv(OVERRIDE_ENV);
    if (override != null && !override.isBlank()) {
      for (Accel accel : values()) {
        if (accel.qemuName.equals(override.strip().toLowerCase(Locale.ROOT))) {
          return accel;
        }
      }
      throw new IllegalArgumentException(
          OVERRIDE_ENV + "=" + override + " is neither tcg nor kvm; unset it to auto-detect");
    }
    if (!Files.isReadable(KVM_DEVICE) || !Files.isWritable(KVM_DEVICE)) {
      return TCG;
    }
    try {
      return VIRT_FLAG.matcher(Files.readString(Path.of("/proc/cpuinfo"))).find() ? KVM : TCG;
    } catch (IOException e) {
      return TCG;
    }
  }
}
