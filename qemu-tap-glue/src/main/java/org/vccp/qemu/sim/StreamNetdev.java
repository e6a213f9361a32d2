package org.vccp.qemu.sim;

import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vccp.qemu.guest.StreamSocket;

/**
 * The guest's NIC backend, behaving like QEMU 7.2's {@code -netdev stream}: frames travel as a
 * 4-byte big-endian length and the Ethernet frame. With {@code server=on} it listens (removing a
 * stale socket file) and accepts again whenever its peer goes away; with {@code server=off} it
 * connects once at start and never again, so a peer that is not listening leaves it unplugged.
 *
 * <p>Each connection has a reader and a writer thread, both gated by the machine: neither touches
 * the socket while the guest is stopped, so a paused guest's socket fills up in the kernel the way
 * a paused QEMU's does.
 */
final class StreamNetdev implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(StreamNetdev.class);
  static final int MAX_FRAME_BYTES = 65535;
  static final int MIN_FRAME_BYTES = 14;

  private final String guest;
  private final StreamSocket address;
  private final SimMachine machine;
  private volatile boolean closed;
  private volatile SocketChannel current;
  private ServerSocketChannel listener;

  StreamNetdev(String guest, StreamSocket address, SimMachine machine) {
    this.guest = guest;
    this.address = address;
    this.machine = machine;
  }

  /** Binds (server=on) or connects (server=off) now, before QMP is up, as QEMU does at start. */
  void start() throws IOException {
    if (address.server()) {
      listener =
          address.isUnix()
              ? ServerSocketChannel.open(StandardProtocolFamily.UNIX)
              : ServerSocketChannel.open();
      if (address.isUnix()) {
        Files.deleteIfExists(address.unixPath());
      }
      listener.bind(socketAddress(), 1);
      daemon("netdev-accept-" + guest, this::acceptLoop);
    } else {
      SocketChannel channel;
      try {
        channel =
            address.isUnix()
                ? SocketChannel.open(StandardProtocolFamily.UNIX)
                : SocketChannel.open();
        channel.connect(socketAddress());
      } catch (IOException e) {
        LOG.warn(
            "{}: netdev cannot connect to {} ({}); the NIC stays unplugged (QEMU 7.2 clients"
                + " never reconnect)",
            guest,
            describe(),
            e.getMessage());
        return;
      }
      daemon("netdev-" + guest, () -> serve(channel));
    }
  }

  private SocketAddress socketAddress() {
    return address.isUnix()
        ? UnixDomainSocketAddress.of(address.unixPath())
        : new InetSocketAddress(address.host(), address.port());
  }

  private String describe() {
    return address.isUnix()
        ? "unix:" + address.path()
        : "tcp:" + address.host() + ":" + address.port();
  }

  private void acceptLoop() {
    while (!closed) {
      try {
        SocketChannel channel = listener.accept();
        serve(channel); // one peer at a time; listen again when it leaves
      } catch (IOException e) {
        if (!closed) {
          LOG.warn("{}: netdev accept on {} failed: {}", guest, describe(), e.getMessage());
        }
        return;
      }
    }
  }

  /** Runs one connection until it ends: reads on this thread, writes on a helper thread. */
  private void serve(SocketChannel channel) {
    current = channel;
    machine.wakeAll();
    Thread writer = daemon("netdev-tx-" + guest, () -> writeLoop(channel));
    try {
      ByteBuffer length = ByteBuffer.allocate(4);
      while (machine.awaitRunning(channel::isOpen)) {
        length.clear();
        readFully(channel, length);
        int n = length.getInt(0);
        if (n < MIN_FRAME_BYTES || n > MAX_FRAME_BYTES) {
          LOG.warn("{}: netdev peer sent a frame length of {}; closing the connection", guest, n);
          break;
        }
        ByteBuffer frame = ByteBuffer.allocate(n);
        readFully(channel, frame);
        machine.deliver(frame.array());
      }
    } catch (EOFException e) {
      LOG.info("{}: netdev peer on {} went away", guest, describe());
    } catch (IOException e) {
      if (!closed) {
        LOG.info("{}: netdev connection on {} ended: {}", guest, describe(), e.getMessage());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      closeQuietly(channel);
      current = null;
      machine.wakeAll();
      try {
        writer.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private void writeLoop(SocketChannel channel) {
    ByteBuffer[] out = {ByteBuffer.allocate(4), null};
    try {
      byte[] frame;
      while ((frame = machine.awaitTx(channel::isOpen)) != null) {
        out[0].clear();
        out[0].putInt(0, frame.length);
        out[1] = ByteBuffer.wrap(frame);
        while (out[1].hasRemaining()) {
          channel.write(out);
        }
      }
    } catch (IOException e) {
      if (!closed && channel.isOpen()) {
        LOG.info("{}: netdev write on {} failed: {}", guest, describe(), e.getMessage());
      }
      closeQuietly(channel);
      machine.wakeAll();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void readFully(SocketChannel channel, ByteBuffer buffer) throws IOException {
    while (buffer.hasRemaining()) {
      if (channel.read(buffer) < 0) {
        throw new EOFException();
      }
    }
  }

  private static Thread daemon(String name, Runnable body) {
    Thread t = new Thread(body, name);
    t.setDaemon(true);
    t.start();
    return t;
  }

  private static void closeQuietly(SocketChannel channel) {
    try {
      channel.close();
    } catch (IOException e) {
      // closing is best effort
    }
  }

  @Override
  public void close() {
    closed = true;
    SocketChannel channel = current;
    if (channel != null) {
      closeQuietly(channel);
    }
    if (listener != null) {
      try {
        listener.close();
      } catch (IOException e) {
        // closing is best effort
      }
    }
    machine.wakeAll();
  }
}
