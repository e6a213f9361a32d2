package org.vccp.vnet.port;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * Prepares a Unix socket path for listening. A stale socket file (nobody listening) is removed; a
 * live one is refused, because binding over it would silently steal another server's clients.
 */
public final class UnixSocketFiles {
  private UnixSocketFiles() {}

  /**
   * @throws PortBindException when the path is in use, is not a socket, or its directory is missing
   */
  public static void prepareForListen(String what, Path path) {
    Path dir = path.toAbsolutePath().getParent();
    if (dir != null && !Files.isDirectory(dir)) {
      throw new PortBindException(
          what + ": cannot listen on unix:" + path + ": directory " + dir + " does not exist",
          null);
    }
    if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try {
      BasicFileAttributes attrs =
          Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      if (!attrs.isOther()) {
        throw new PortBindException(
            what
                + ": cannot listen on unix:"
                + path
                + ": the path exists and is not a socket; remove it or choose another path",
            null);
      }
    } catch (IOException e) {
      throw new PortBindException(
          what + ": cannot inspect unix:" + path + ": " + e.getMessage(), e);
    }
    try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      probe.connect(UnixDomainSocketAddress.of(path));
      throw new PortBindException(
          what
              + ": cannot listen on unix:"
              + path
              + ": another process is listening there; stop it or choose another path",
          null);
    } catch (IOException stale) {
      try {
        Files.deleteIfExists(path);
      } catch (IOException e) {
        throw new PortBindException(
            what + ": cannot remove stale socket unix:" + path + ": " + e.getMessage(), e);
      }
    }
  }

  /** Removes a socket file this process bound, once its server is closed; best effort. */
  public static void removeQuietly(Path path) {
    try {
      Files.deleteIfExists(path);
    } catch (IOException ignored) {
      // the file stays; the next listen replaces a stale socket anyway
    }
  }
}
