package org.vccp.qemu.guest;

import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * A NIC attachment through {@code -netdev bridge}: QEMU runs {@code helper --use-vnet --br=BRIDGE
 * --fd=N}, which creates a TAP, attaches it to {@code bridge} and passes its descriptor back. With
 * VCCP's helper, {@code bridge} names a switch instead of a Linux bridge, so a guest moves from a
 * Linux bridge to VCCP by changing the {@code helper=} path only.
 *
 * @param bridge bridge (or VCCP switch) name, {@code br=}
 * @param helper absolute path of the helper program, or null for QEMU's default {@code
 *     qemu-bridge-helper}
 */
public record BridgeHelper(String bridge, String helper) implements NicAttachment {

  private static final Pattern BRIDGE = Pattern.compile("[A-Za-z0-9_.-]{1,64}");

  public BridgeHelper {
    if (bridge == null || !BRIDGE.matcher(bridge).matches()) {
      throw new IllegalArgumentException(
          "bridge name '" + bridge + "' must be 1-64 letters, digits, '.', '_' or '-'");
    }
    if (helper != null && (helper.isBlank() || !Path.of(helper).isAbsolute())) {
      throw new IllegalArgumentException(
          "bridge " + bridge + ": helper must be an absolute path, got " + helper);
    }
  }

  /** Bridge {@code bridge} through the helper at {@code helper}. */
  public static BridgeHelper of(String bridge, Path helper) {
    return new BridgeHelper(bridge, helper.toAbsolutePath().normalize().toString());
  }

  /** Bridge {@code bridge} through QEMU's default helper. */
  public static BridgeHelper qemuDefault(String bridge) {
    return new BridgeHelper(bridge, null);
  }

  @Override
  public String netdevArgument(String id) {
    return "bridge,id="
        + id
        + ",br="
        + bridge
        + (helper == null ? "" : ",helper=" + QemuCommandLine.escapeOption(helper));
  }

  @Override
  public String toString() {
    return "bridge:" + bridge + (helper == null ? "" : " via " + helper);
  }
}
