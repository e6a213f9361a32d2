package org.vccp.vnet.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A test peer speaking QEMU's stream framing over a real socket, as a guest with {@code server=off}
 * would. A background thread reads and decodes what the switch sends, unless the client was made
 * with {@code reading=false} to play a guest that stops reading.
 */
public final class StreamClient implements AutoCloseable {
  private final SocketChannel ch;
  private final LinkedBlockingQueue<byte[]> received = new LinkedBlockingQueue<>();
  private final CountDownLatch closedByPeer = new CountDownLatch(1);
  private final Thread reader;

  private StreamClient(SocketChannel ch, boolean reading) {
    this.ch = ch;
    this.reader = new Thread(this::readLoop, "stream-client-reader");
    reader.setDaemon(true);
    if (reading) {
      reader.start();
    }
  }

  /** Starts reading (for a client made with {@code reading=false}). */
  public void startReading() {
    reader.start();
  }

  public static StreamClient unix(Path path) throws IOException {
    return unix(path, true);
  }

  public static StreamClient unix(Path path, boolean reading) throws IOException {
    SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
    ch.connect(UnixDomainSocketAddress.of(path));
    return new StreamClient(ch, reading);
  }

  public static StreamClient tcp(int port) throws IOException {
    SocketChannel ch = SocketChannel.open();
    ch.connect(new InetSocketAddress("127.0.0.1", port));
    return new StreamClient(ch, true);
  }

  /** Wraps an accepted connection (for tests where the switch dials out). */
  public static StreamClient of(SocketChannel ch) {
    return new StreamClient(ch, true);
  }

  private void readLoop() {
    ByteBuffer in = ByteBuffer.allocate(1 << 20);
    try {
      while (true) {
        int n = ch.read(in);
        if (n < 0) {
          break;
        }
        in.flip();
        while (in.remaining() >= 4) {
          int len = in.getInt(in.position());
          if (in.remaining() < 4 + len) {
            break;
          }
          in.getInt();
          byte[] f = new byte[len];
          in.get(f);
          received.add(f);
        }
        in.compact();
      }
    } catch (IOException e) {
      // connection reset or closed by us
    } finally {
      closedByPeer.countDown();
    }
  }

  public void send(byte[] frame) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(4 + frame.length);
    b.putInt(frame.length).put(frame).flip();
    writeFully(b);
  }

  /** Writes raw bytes (to send malformed input). */
  public void sendRaw(byte[] bytes) throws IOException {
    writeFully(ByteBuffer.wrap(bytes));
  }

  /** Sends many frames in large writes. */
  public void sendAll(List<byte[]> frames) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(256 * 1024);
    for (byte[] f : frames) {
      if (b.remaining() < 4 + f.length) {
        b.flip();
        writeFully(b);
        b.clear();
      }
      b.putInt(f.length).put(f);
    }
    b.flip();
    writeFully(b);
  }

  private void writeFully(ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      ch.write(b);
    }
  }

  /** Frames received until {@code count} arrived or the deadline passed. */
  public List<byte[]> receive(int count, Duration timeout) throws InterruptedException {
    List<byte[]> out = new ArrayList<>();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (out.size() < count) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        break;
      }
      byte[] f = received.poll(left, TimeUnit.NANOSECONDS);
      if (f != null) {
        out.add(f);
      }
    }
    return out;
  }

  /** Frames received so far, without waiting. */
  public List<byte[]> drainReceived() {
    List<byte[]> out = new ArrayList<>();
    received.drainTo(out);
    return out;
  }

  /** True when the peer closed the connection within the timeout. */
  public boolean awaitClosed(Duration timeout) throws InterruptedException {
    return closedByPeer.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Override
  public void close() throws IOException {
    ch.close();
  }
}
