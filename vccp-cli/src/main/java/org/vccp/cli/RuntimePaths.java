package org.vccp.cli;

import java.nio.file.Path;
import org.vccp.vnet.control.SwitchSockets;

/** Default locations of runtime files (control sockets); see {@link SwitchSockets}. */
final class RuntimePaths {
  private RuntimePaths() {}

  static Path runtimeDir() {
    return SwitchSockets.runtimeDir();
  }

  static Path defaultControlSocket() {
    return SwitchSockets.controlSocket(SwitchSockets.DEFAULT_NAME);
  }
}
