package org.vccp.qemu.guest;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * A NIC attachment through {@code -netdev tap}: QEMU opens (or creates) the TAP interface {@code
 * ifname} and runs {@code script} after creating it and {@code downscript} before closing it, each
 * with the interface name as argument, the way QEMU's {@code /etc/qemu-ifup} works. VCCP's {@code
 * vccp-ifup}/{@code vccp-ifdown} attach the TAP to a switch port instead of a Linux bridge.
 *
 * @param ifname interface name, at most 15 bytes
 * @param script absolute path of the ifup script, or null for {@code script=no}
 * @param downscript absolute path of the ifdown script, or null for {@code downscript=no}
 * @param vnetHdr {@code vnet_hdr=on|off}, or null to leave QEMU's default (on when the kernel
 *     supports it). Off means the guest NIC gets no host offloads, so no GSO frames reach the TAP.
 */
public record TapDevice(String ifname, String script, String downscript, Boolean vnetHdr)
    implements NicAttachment {

  /** IFNAMSIZ is 16 bytes including the terminating NUL. */
  public static final int MAX_IFNAME_BYTES = 15;

  private static final Pattern IFNAME = Pattern.compile("[A-Za-z0-9_.-]+");

  public TapDevice {
    if (ifname == null
        || !IFNAME.matcher(ifname).matches()
        || ifname.getBytes(StandardCharsets.UTF_8).length > MAX_IFNAME_BYTES) {
      throw new IllegalArgumentException(
          "TAP interface name '"
              + ifname
              + "' must be 1-"
              + MAX_IFNAME_BYTES
              + " letters, digits, '.', '_' or '-'");
    }
    requireAbsoluteOrNull(ifname, "script", script);
    requireAbsoluteOrNull(ifname, "downscript", downscript);
  }

  /** An existing (or QEMU-created) TAP with no scripts: {@code script=no,downscript=no}. */
  public static TapDevice existing(String ifname) {
    return new TapDevice(ifname, null, null, null);
  }

  /** A TAP that QEMU hands to {@code ifup} after opening it and to {@code ifdown} at exit. */
  public static TapDevice withScripts(String ifname, Path ifup, Path ifdown) {
    return new TapDevice(ifname, absolute(ifup), absolute(ifdown), null);
  }

  /** This TAP with {@code vnet_hdr} set explicitly. */
  public TapDevice withVnetHdr(boolean on) {
    return new TapDevice(ifname, script, downscript, on);
  }

  @Override
  public String netdevArgument(String id) {
    StringBuilder arg =
        new StringBuilder("tap,id=")
            .append(id)
            .append(",ifname=")
            .append(ifname)
            .append(",script=")
            .append(script == null ? "no" : QemuCommandLine.escapeOption(script))
            .append(",downscript=")
            .append(downscript == null ? "no" : QemuCommandLine.escapeOption(downscript));
    if (vnetHdr != null) {
      arg.append(",vnet_hdr=").append(vnetHdr ? "on" : "off");
    }
    return arg.toString();
  }

  @Override
  public String toString() {
    return "tap:" + ifname;
  }

  private static void requireAbsoluteOrNull(String ifname, String what, String path) {
    if (path != null && (path.isBlank() || !Path.of(path).isAbsolute())) {
      throw new IllegalArgumentException(
          "TAP " + ifname + ": " + what + " must be an absolute path, got " + path);
    }
  }

  private static String absolute(Path path) {
    return path == null ? null : path.toAbsolutePath().normalize().toString();
  }
}
