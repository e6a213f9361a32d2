package org.vccp.vnet.port;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.ptr.IntByReference;
import io.netty.channel.Channel;
import io.netty.channel.unix.UnixChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the kernel still holds in a socket's send queue: bytes written to the peer that the peer has
 * not read ({@code SIOCOUTQ}, Linux, through JNA; Netty does not expose it). A checkpoint needs it:
 * a paused guest's unread bytes are not in its migration image, so they must be consumed before the
 * guest is stopped, or counted as channel state. Also a duplicate of a channel's descriptor, for
 * writes from outside its event loop.
 */
public final class SocketQueues {
  private static final Logger LOG = LoggerFactory.getLogger(SocketQueues.class);

  /** {@code SIOCOUTQ} = {@code TIOCOUTQ} on Linux. */
  private static final int SIOCOUTQ = 0x5411;

  /** {@code SIOCINQ} = {@code FIONREAD} on Linux. */
  private static final int SIOCINQ = 0x541B;

  private interface LibC extends Library {
    int ioctl(int fd, int request, IntByReference arg);

    int fcntl(int fd, int cmd, int arg);
  }

  private static final LibC LIBC = load();

  private SocketQueues() {}

  private static LibC load() {
    try {
      return Native.load("c", LibC.class);
    } catch (UnsatisfiedLinkError | RuntimeException e) {
      LOG.warn("no libc through JNA ({}): socket queue sizes unknown", e.getMessage());
      return null;
    }
  }

  /** Bytes in the channel's kernel send queue, or 0 when it is closed or unknown. */
  public static long sendQueueBytes(Channel ch) {
    return query(ch, SIOCOUTQ);
  }

  /** Bytes waiting to be read in the channel's kernel receive queue, or 0. */
  public static long receiveQueueBytes(Channel ch) {
    return query(ch, SIOCINQ);
  }

  /** {@code fcntl} command: duplicate, close-on-exec. */
  private static final int F_DUPFD_CLOEXEC = 1030;

  /**
   * A second descriptor of the channel's socket, which the caller must close, or -1 when the
   * channel is closed or the descriptor cannot be duplicated. Call it on the channel's event loop
   * only: elsewhere the channel may close meanwhile and its number go to another file.
   */
  public static int duplicate(Channel ch) {
    int fd = fdOf(ch);
    return fd < 0 ? -1 : LIBC.fcntl(fd, F_DUPFD_CLOEXEC, 0);
  }

  /** The open channel's descriptor, or -1 when it is closed, not a Unix channel, or libc is out. */
  private static int fdOf(Channel ch) {
    if (LIBC == null || !(ch instanceof UnixChannel u) || !ch.isOpen()) {
      return -1;
    }
    return u.fd().intValue();
  }

  private static long query(Channel ch, int request) {
    int fd = fdOf(ch);
    if (fd < 0) {
      return 0;
    }
    IntByReference n = new IntByReference();
    return LIBC.ioctl(fd, request, n) == 0 ? n.getValue() : 0;
  }
}
