package org.vccp.qemu.guest;

import java.io.Serializable;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One virtio-net NIC of a guest and what its netdev is attached to.
 *
 * @param id netdev id, e.g. {@code n0}
 * @param mac lower-case unicast MAC; every guest needs its own (QEMU's default is shared)
 * @param attachment what the netdev is plugged into: a stream socket, a TAP or a bridge helper
 */
public record NicSpec(String id, String mac, NicAttachment attachment) implements Serializable {

  private static final Pattern ID = Pattern.compile("[A-Za-z][A-Za-z0-9_-]{0,31}");
  private static final Pattern MAC = Pattern.compile("([0-9a-f]{2}:){5}[0-9a-f]{2}");

  public NicSpec {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(mac, "mac");
    Objects.requireNonNull(attachment, "attachment");
    if (!ID.matcher(id).matches()) {
      throw new IllegalArgumentException(
          "NIC id '" + id + "' must start with a letter and hold letters, digits, '_' or '-'");
    }
    if (!MAC.matcher(mac).matches() || (Integer.parseInt(mac.substring(0, 2), 16) & 1) != 0) {
      throw new IllegalArgumentException(
          "NIC "
              + id
              + ": MAC '"
              + mac
              + "' is not a lower-case unicast MAC like 52:54:00:00:00:01");
    }
  }

  /** A NIC attached to a stream socket. */
  public static NicSpec stream(String id, String mac, StreamSocket socket) {
    return new NicSpec(id, mac, socket);
  }

  /** A NIC on a TAP interface ({@code -netdev tap}). */
  public static NicSpec tap(String id, String mac, TapDevice tap) {
    return new NicSpec(id, mac, tap);
  }

  /** A NIC whose TAP a bridge helper makes ({@code -netdev bridge}). */
  public static NicSpec bridge(String id, String mac, BridgeHelper bridge) {
    return new NicSpec(id, mac, bridge);
  }

  /** The {@code -netdev} value for this NIC. */
  public String netdevArgument() {
    return attachment.netdevArgument(id);
  }

  /** The {@code -device} value: virtio-net on this netdev with this MAC and no option ROM. */
  public String deviceArgument() {
    return "virtio-net-pci,netdev=" + id + ",mac=" + mac + ",romfile=";
  }

  /** {@code 52:54:00:00:HH:LL}, QEMU's locally administered prefix, for n in 1..65535. */
  public static String localMac(int n) {
    if (n < 1 || n > 0xffff) {
      throw new IllegalArgumentException("MAC number " + n + " is not 1..65535");
    }
    return String.format("52:54:00:00:%02x:%02x", n >> 8, n & 0xff);
  }
}
