package org.vccp.qemu.guest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Tells whether a stream socket QEMU serves is listening yet, from the kernel's socket tables
 * (/proc/net/unix, /proc/net/tcp and tcp6). It never connects: a QEMU 7.2 stream server takes one
 * client, and a probe would be that client.
 *
 * <pre>
 * /proc/net/unix: Num: RefCount Protocol Flags Type St Inode Path   (Flags 00010000 = listening)
 * /proc/net/tcp:  sl local_address(hex ip:port) rem_address st ...  (st 0A = LISTEN)
 * </pre>
 */
final class ListenerProbe {

  private static final String UNIX_LISTENING_FLAGS = "00010000";
  private static final String TCP_LISTEN_STATE = "0A";
  private static final Path PROC_NET_UNIX = Path.of("/proc/net/unix");
  private static final List<Path> PROC_NET_TCP =
      List.of(Path.of("/proc/net/tcp"), Path.of("/proc/net/tcp6"));

  private final StreamSocket socket;
  private final Set<String> staleInodes;

  private ListenerProbe(StreamSocket socket, Set<String> staleInodes) {
    this.socket = socket;
    this.staleInodes = staleInodes;
  }

  /**
   * A probe for {@code socket}, made before QEMU starts: Unix listeners already bound to the path
   * then (another process, or one that QEMU's bind will displace) do not count.
   */
  static ListenerProbe before(StreamSocket socket) {
    return new ListenerProbe(
        socket, socket.isUnix() ? unixListenerInodes(socket.path()) : Set.of());
  }

  boolean listening() {
    if (socket.isUnix()) {
      if (!Files.isReadable(PROC_NET_UNIX)) {
        // no socket table to read: the socket file appearing is the best sign there is
        Path path = socket.unixPath();
        return Files.exists(path) && !Files.isRegularFile(path) && !Files.isDirectory(path);
      }
      Set<String> inodes = unixListenerInodes(socket.path());
      inodes.removeAll(staleInodes);
      return !inodes.isEmpty();
    }
    String localPort = String.format(Locale.ROOT, ":%04X", socket.port());
    for (Path table : PROC_NET_TCP) {
      for (String line : readLines(table)) {
        String[] fields = line.strip().split("\\s+");
        if (fields.length > 3
            && fields[1].endsWith(localPort)
            && fields[3].equals(TCP_LISTEN_STATE)) {
          return true;
        }
      }
    }
    return false;
  }

  private static Set<String> unixListenerInodes(String path) {
    Set<String> inodes = new HashSet<>();
    for (String line : readLines(PROC_NET_UNIX)) {
      String[] fields = line.strip().split("\\s+", 8);
      if (fields.length == 8 && fields[3].equals(UNIX_LISTENING_FLAGS) && fields[7].equals(path)) {
        inodes.add(fields[6]);
      }
    }
    return inodes;
  }

  private static List<String> readLines(Path file) {
    try {
      return Files.readAllLines(file, StandardCharsets.ISO_8859_1);
    } catch (IOException e) {
      return List.of();
    }
  }
}
