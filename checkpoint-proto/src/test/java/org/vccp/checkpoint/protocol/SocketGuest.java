package org.vccp.checkpoint.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A stand-in guest for protocol unit tests (real QEMU and sim-guests are exercised in vccp-cli): a
 * socket on a switch port speaking QEMU's stream framing, sending numbered frames to a peer every
 * millisecond and recording what it receives. Stopped, it neither reads nor writes, like a paused
 * QEMU; its "image" is its counters; killing it loses whatever sat in its socket.
 */
final class SocketGuest implements Hypervisor {
  private final String name;
  private final String port;
  private final Path socket;
  private final long mac;
  private final long peerMac;
  private SocketChannel ch;
  private volatile boolean paused;
  private volatile boolean alive;
  volatile boolean readerStalled;
  volatile boolean sending = true;
  volatile boolean dieOnStop;
  private long nextSeq = 1;
  private final List<Long> received = new ArrayList<>();
  private Thread reader;
  private Thread writer;

  SocketGuest(String name, String port, Path socket, long mac, long peerMac, boolean startPaused)
      throws IOException {
    this.name = name;
    this.port = port;
    this.socket = socket;
    this.mac = mac;
    this.peerMac = peerMac;
    this.paused = startPaused;
    ch = SocketChannel.open(StandardProtocolFamily.UNIX);
    ch.connect(UnixDomainSocketAddress.of(socket));
    alive = true;
    reader = new Thread(this::readLoop, name + "-rx");
    writer = new Thread(this::writeLoop, name + "-tx");
    reader.setDaemon(true);
    writer.setDaemon(true);
    reader.start();
    writer.start();
  }

  private void readLoop() {
    ByteBuffer len = ByteBuffer.allocate(4);
    try {
      while (alive) {
        if (paused || readerStalled) {
          Thread.sleep(1);
          continue;
        }
        len.clear();
        while (len.hasRemaining()) {
          if (ch.read(len) < 0) {
            return;
          }
        }
        ByteBuffer f = ByteBuffer.allocate(len.getInt(0));
        while (f.hasRemaining()) {
          ch.read(f);
        }
        if (f.getShort(12) == (short) 0x88B5) {
          synchronized (this) {
            received.add(f.getLong(14));
          }
        }
      }
    } catch (Exception e) {
      // killed
    }
  }

  private void writeLoop() {
    try {
      while (alive) {
        Thread.sleep(1);
        synchronized (this) {
          if (paused || !sending) {
            continue;
          }
          ByteBuffer b = ByteBuffer.allocate(4 + 64);
          b.putInt(64);
          b.putShort((short) (peerMac >>> 32)).putInt((int) peerMac);
          b.putShort((short) (mac >>> 32)).putInt((int) mac);
          b.putShort((short) 0x88B5).putLong(nextSeq++);
          b.position(68).flip();
          while (b.hasRemaining()) {
            ch.write(b);
          }
        }
      }
    } catch (Exception e) {
      // killed
    }
  }

  synchronized List<Long> received() {
    return List.copyOf(received);
  }

  synchronized long sent() {
    return nextSeq - 1;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public String port() {
    return port;
  }

  @Override
  public JsonNode spec() {
    return JsonNodeFactory.instance
        .objectNode()
        .put("socket", socket.toString())
        .put("mac", mac)
        .put("peer", peerMac);
  }

  @Override
  public void stop(Duration timeout) throws IOException {
    if (dieOnStop) {
      kill();
    }
    if (!alive) {
      throw new IOException("QMP connection lost: the guest's process died");
    }
    synchronized (this) {
      paused = true;
    }
  }

  @Override
  public void cont(Duration timeout) throws IOException {
    if (!alive) {
      throw new IOException("the guest's process died");
    }
    paused = false;
  }

  boolean isPaused() {
    return paused;
  }

  @Override
  public synchronized void save(Path file, Duration timeout) throws IOException {
    try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(file))) {
      out.writeLong(nextSeq);
      out.writeInt(received.size());
      for (long r : received) {
        out.writeLong(r);
      }
    }
  }

  @Override
  public synchronized void load(Path file, Duration timeout) throws IOException {
    try (DataInputStream in = new DataInputStream(Files.newInputStream(file))) {
      nextSeq = in.readLong();
      received.clear();
      int n = in.readInt();
      for (int i = 0; i < n; i++) {
        received.add(in.readLong());
      }
    }
  }

  @Override
  public boolean isAlive() {
    return alive;
  }

  @Override
  public void kill() {
    alive = false;
    try {
      ch.close();
    } catch (IOException e) {
      // already closed
    }
  }

  @Override
  public void close() {
    kill();
  }
}
