package org.vccp.cli;

import picocli.CommandLine;

/** Reports the version from the jar manifest. */
public final class VersionProvider implements CommandLine.IVersionProvider {
  @Override
  public String[] getVersion() {
    String v = Main.class.getPackage().getImplementationVersion();
    return new String[] {
      "vccp " + (v == null ? "dev" : v), "Java " + System.getProperty("java.version")
    };
  }
}
