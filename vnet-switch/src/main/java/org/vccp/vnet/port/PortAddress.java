package org.vccp.vnet.port;

import java.nio.file.Path;

/**
 * Where a port's socket lives: {@code unix:/path}, {@code tcp:host:port} or {@code udp:host:port}.
 * A Unix address under a datagram port means a Unix datagram socket.
 */
public record PortAddress(Scheme scheme, String path, String host, int port) {
  /** Address families a port can use. */
  public enum Scheme {
    UNIX,
    TCP,
    UDP
  }

  public static PortAddress unix(Path path) {
    return new PortAddress(Scheme.UNIX, path.toString(), null, 0);
  }

  public static PortAddress tcp(String host, int port) {
    return new PortAddress(Scheme.TCP, null, host, port);
  }

  public static PortAddress udp(String host, int port) {
    return new PortAddress(Scheme.UDP, null, host, port);
  }

  /**
   * Parses {@code unix:/path}, {@code tcp:host:port} or {@code udp:host:port}.
   *
   * @throws IllegalArgumentException naming the text and the expected forms
   */
  public static PortAddress parse(String text) {
    int colon = text.indexOf(':');
    String scheme = colon < 0 ? "" : text.substring(0, colon);
    String rest = colon < 0 ? "" : text.substring(colon + 1);
    switch (scheme) {
      case "unix":
        if (rest.isEmpty()) {
          throw new IllegalArgumentException("'" + text + "': unix: needs a socket path");
        }
        return new PortAddress(Scheme.UNIX, rest, null, 0);
      case "tcp":
      case "udp":
        int last = rest.lastIndexOf(':');
        if (last <= 0) {
          throw new IllegalArgumentException(
              "'"
                  + text
                  + "': expected "
                  + scheme
                  + ":HOST:PORT, e.g. "
                  + scheme
                  + ":127.0.0.1:5555");
        }
        String host = rest.substring(0, last);
        if (host.startsWith("[") && host.endsWith("]")) {
          host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
          port = Integer.parseInt(rest.substring(last + 1));
        } catch (NumberFormatException e) {
          port = -1;
        }
        if (port < 0 || port > 65535) {
          throw new IllegalArgumentException(
              "'" + text + "': port must be a number from 0 to 65535");
        }
        return new PortAddress("tcp".equals(scheme) ? Scheme.TCP : Scheme.UDP, null, host, port);
      default:
        throw new IllegalArgumentException(
            "'"
                + text
                + "' is not a socket address: use unix:/path, tcp:HOST:PORT or udp:HOST:PORT");
    }
  }

  @Override
  public String toString() {
    return switch (scheme) {
      case UNIX -> "unix:" + path;
      case TCP -> "tcp:" + host + ":" + port;
      case UDP -> "udp:" + host + ":" + port;
    };
  }
}
