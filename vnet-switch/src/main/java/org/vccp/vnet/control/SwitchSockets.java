package org.vccp.vnet.control;

import java.nio.file.Path;

/**
 * Where a named switch's control socket lives, so every tool finds it the same way: {@code
 * $VCCP_RUNTIME_DIR/NAME.sock}, where the runtime directory defaults to {@code
 * $XDG_RUNTIME_DIR/vccp}, else {@code /tmp/vccp-$USER}. {@code vccp switch --name NAME} listens
 * there, {@code vccp ctl --switch NAME}, the ifup scripts ({@code VCCP_SWITCH=NAME}) and the bridge
 * helper ({@code br=NAME}) connect there. The unnamed switch is called {@value #DEFAULT_NAME}.
 */
public final class SwitchSockets {
  public static final String DEFAULT_NAME = "switch";

  private SwitchSockets() {}

  public static Path runtimeDir() {
    String env = System.getenv("VCCP_RUNTIME_DIR");
    if (env != null && !env.isBlank()) {
      return Path.of(env);
    }
    String xdg = System.getenv("XDG_RUNTIME_DIR");
    if (xdg != null && !xdg.isBlank()) {
      return Path.of(xdg, "vccp");
    }
    return Path.of(System.getProperty("java.io.tmpdir"), "vccp-" + System.getProperty("user.name"));
  }

  /**
   * The control socket of switch {@code name}.
   *
   * @throws IllegalArgumentException when the name could escape the runtime directory
   */
  public static Path controlSocket(String name) {
    if (name == null || !name.matches("[A-Za-z0-9_.-]{1,64}") || name.startsWith(".")) {
      throw new IllegalArgumentException(
          "switch name '" + name + "' is invalid: use 1-64 letters, digits, '.', '_' or '-'");
    }
    return runtimeDir().resolve(name + ".sock");
  }
}
