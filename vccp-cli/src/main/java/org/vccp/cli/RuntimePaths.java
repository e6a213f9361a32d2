package org.vccp.cli;

import java.nio.file.Path;

/** Default locations of runtime files (control sockets), overridable with VCCP_RUNTIME_DIR. */
final class RuntimePaths {
  private RuntimePaths() {}

  static Path runtimeDir() {
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

  static Path defaultControlSocket() {
    return runtimeDir().resolve("switch.sock");
  }
}
