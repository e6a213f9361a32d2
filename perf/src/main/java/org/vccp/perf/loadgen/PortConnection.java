package org.vccp.perf.loadgen;

import java.io.IOException;
import java.net.ConnectException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.locks.LockSupport;

/**
 * One generator port: a non-blocking Unix stream connection to the peer, as QEMU makes with {@code
 * -netdev stream,server=off}, plus the selector its agent sleeps on.
 *
 * <p>Connecting retries until a deadline, because a peer creates its socket file at {@code bind}
 * and accepts only after {@code listen}.
 */
final class PortConnection implements AutoCloseable {
  private final String name;
  private final SocketChannel channel;
  private final Selector selector;
  private final SelectionKey key;

  private PortConnection(String name, SocketChannel channel) throws IOException {
    this.name = name;
    this.channel = channel;
    channel.configureBlocking(false);
    this.selector = Selector.open();
    this.key = channel.register(selector, SelectionKey.OP_READ);
  }

  /** Connects to {@code socket}, retrying refused or missing sockets until {@code timeoutMs}. */
  static PortConnection connect(String name, Path socket, long timeoutMs) throws IOException {
    long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
    while (true) {
      SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
      try {
        channel.connect(UnixDomainSocketAddress.of(socket));
        return new PortConnection(name, channel);
      } catch (ConnectException | NoSuchFileException e) {
        channel.close();
        if (System.nanoTime() - deadline > 0) {
          throw new IOException(
              name
                  + ": cannot connect to "
                  + socket
                  + " within "
                  + timeoutMs
                  + " ms ("
                  + e.getMessage()
                  + "); is the peer running and listening there?",
              e);
        }
        LockSupport.parkNanos(10_000_000L);
      } catch (IOException | RuntimeException e) {
        channel.close();
        throw new IOException(name + ": cannot connect to " + socket + ": " + e.getMessage(), e);
      }
    }
  }

  String name() {
    return name;
  }

  SocketChannel channel() {
    return channel;
  }

  /**
   * Sleeps until the socket is readable, or also writable when {@code wantWrite}, or {@code
   * timeoutMs} passed.
   */
  void await(boolean wantWrite, long timeoutMs) throws IOException {
    int ops = wantWrite ? SelectionKey.OP_READ | SelectionKey.OP_WRITE : SelectionKey.OP_READ;
    if (key.interestOps() != ops) {
      key.interestOps(ops);
    }
    selector.select(timeoutMs);
    selector.selectedKeys().clear();
  }

  /**
   * Switches to blocking reads for a port that from now on only reads: one {@code read} per wakeup
   * instead of {@code epoll_wait}, {@code read} and a final empty {@code read}. {@link
   * #wakeReader()} ends a blocked read.
   */
  void switchToBlockingReads() throws IOException {
    key.cancel();
    selector.selectNow();
    channel.configureBlocking(true);
  }

  /** Makes a read blocked in another thread return end-of-stream; used to stop a port. */
  void wakeReader() {
    try {
      channel.shutdownInput();
    } catch (IOException e) {
      // Already closed or disconnected: nothing is blocked in a read.
    }
  }

  /** Writes all of {@code out}, reading into {@code inbox} while the peer is not accepting. */
  void writeFully(ByteBuffer out, FrameInbox inbox, RunControl control) throws IOException {
    while (out.hasRemaining() && !control.stopped()) {
      if (channel.write(out) == 0) {
        inbox.poll(channel);
        await(true, 10);
      }
    }
  }

  @Override
  public void close() throws IOException {
    try {
      selector.close();
    } finally {
      channel.close();
    }
  }
}
