package org.vccp.qemu.tap;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The access list of QEMU's {@code bridge.conf}, read the way {@code qemu-bridge-helper} reads it:
 * one rule per line — {@code allow NAME}, {@code allow all}, {@code deny NAME}, {@code deny all},
 * {@code include FILE} — with {@code #} comments. A switch is allowed when some rule allows it and
 * no rule denies it; the order of lines does not matter and the default is to deny.
 */
public final class BridgeAcl {
  /** Where the helper looks unless {@code VCCP_BRIDGE_CONF} names another file. */
  public static final Path DEFAULT_FILE = Path.of("/etc/vccp/bridge.conf");

  private static final int MAX_INCLUDE_DEPTH = 16;

  private final List<String> allowed = new ArrayList<>();
  private final List<String> denied = new ArrayList<>();

  private BridgeAcl() {}

  /**
   * Reads {@code file} and its includes.
   *
   * @throws TapException naming the file and line that cannot be read or understood
   */
  public static BridgeAcl read(Path file) {
    BridgeAcl acl = new BridgeAcl();
    acl.readInto(file, new HashSet<>(), 0);
    return acl;
  }

  private void readInto(Path file, Set<Path> seen, int depth) {
    if (depth > MAX_INCLUDE_DEPTH || !seen.add(file.toAbsolutePath().normalize())) {
      throw new TapException(file + ": include loop or more than 16 levels of include");
    }
    List<String> lines;
    try {
      lines = Files.readAllLines(file);
    } catch (IOException e) {
      throw new TapException(
          "cannot read the bridge ACL "
              + file
              + " ("
              + e.getMessage()
              + "); create it with a line 'allow NAME' or set VCCP_BRIDGE_CONF",
          e);
    }
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      int hash = line.indexOf('#');
      String text = (hash >= 0 ? line.substring(0, hash) : line).trim();
      if (text.isEmpty()) {
        continue;
      }
      String[] words = text.split("\\s+", 2);
      if (words.length != 2) {
        throw new TapException(file + ":" + (i + 1) + ": expected 'allow|deny|include ARG'");
      }
      switch (words[0]) {
        case "allow" -> allowed.add(words[1]);
        case "deny" -> denied.add(words[1]);
        case "include" -> {
          Path inc = Path.of(words[1]);
          readInto(inc.isAbsolute() ? inc : file.resolveSibling(inc), seen, depth + 1);
        }
        default ->
            throw new TapException(
                file + ":" + (i + 1) + ": unknown rule '" + words[0] + "' (allow, deny, include)");
      }
    }
  }

  /** True when some rule allows {@code name} and none denies it. */
  public boolean allows(String name) {
    boolean allow = allowed.contains("all") || allowed.contains(name);
    boolean deny = denied.contains("all") || denied.contains(name);
    return allow && !deny;
  }
}
