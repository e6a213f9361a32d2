package org.vccp.qemu.guest;

import com.fasterxml.jackson.annotation.JsonIgnore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A NIC attachment through QEMU's {@code -netdev stream}: a Unix or TCP stream socket on which QEMU
 * either listens ({@code server=on}) or connects ({@code server=off}). Frames travel with a 4-byte
 * big-endian length prefix. QEMU 7.2 clients never reconnect; servers listen again after their
 * client leaves.
 *
 * @param path absolute Unix socket path, or null for TCP
 * @param host TCP host, or null for Unix
 * @param port TCP port, or 0 for Unix
 * @param server true when QEMU listens
 */
public record StreamSocket(String path, String host, int port, boolean server)
    implements NicAttachment {

  /** sun_path holds 108 bytes including the terminating NUL. */
  public static final int MAX_UNIX_PATH_BYTES = 107;

  public StreamSocket {
    if ((path == null) == (host == null)) {
      throw new IllegalArgumentException("a stream socket has either a Unix path or a TCP host");
    }
    if (path != null) {
      if (!Path.of(path).isAbsolute()) {
        throw new IllegalArgumentException("Unix socket path " + path + " must be absolute");
      }
      int bytes = path.getBytes(StandardCharsets.UTF_8).length;
      if (bytes > MAX_UNIX_PATH_BYTES) {
        throw new IllegalArgumentException(
            "Unix socket path "
                + path
                + " is "
                + bytes
                + " bytes, over the limit of "
                + MAX_UNIX_PATH_BYTES
                + "; use a shorter directory");
      }
      if (port != 0) {
        throw new IllegalArgumentException("Unix socket " + path + " takes no port");
      }
    } else if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("TCP port " + port + " for " + host + " is not 1..65535");
    }
  }

  /** A Unix socket; QEMU listens on it when {@code server}, else connects to it. */
  public static StreamSocket unix(Path path, boolean server) {
    return new StreamSocket(path.toAbsolutePath().normalize().toString(), null, 0, server);
  }

  /** A TCP socket; QEMU listens on host:port when {@code server}, else connects to it. */
  public static StreamSocket tcp(String host, int port, boolean server) {
    return new StreamSocket(null, host, port, server);
  }

  @JsonIgnore
  public boolean isUnix() {
    return path != null;
  }

  /** The Unix socket path; only for {@link #isUnix()} sockets. */
  public Path unixPath() {
    if (path == null) {
      throw new IllegalStateException(host + ":" + port + " is a TCP socket");
    }
    return Path.of(path);
  }

  /** {@code stream,id=ID,server=on|off,addr.type=...}, with commas in paths escaped. */
  @Override
  public String netdevArgument(String id) {
    String address =
        isUnix()
            ? "addr.type=unix,addr.path=" + QemuCommandLine.escapeOption(path)
            : "addr.type=inet,addr.host="
                + QemuCommandLine.escapeOption(host)
                + ",addr.port="
                + port;
    return "stream,id=" + id + ",server=" + (server ? "on" : "off") + "," + address;
  }

  @Override
  public String toString() {
    return (isUnix() ? "unix:" + path : "tcp:" + host + ":" + port)
        + (server ? " (QEMU listens)" : " (QEMU connects)");
  }
}
