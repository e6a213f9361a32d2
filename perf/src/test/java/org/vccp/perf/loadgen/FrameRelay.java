package org.vccp.perf.loadgen;

import java.io.EOFException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A tiny learning switch for tests: listens on one Unix stream socket per port, learns source MACs,
 * floods broadcast and unknown unicast, and forwards data frames unchanged unless a rule says to
 * drop, duplicate or swap one specific (sender, receiver, sequence).
 *
 * <p>One blocking reader thread per port; writes to a port are serialized on that port. Slow and
 * simple on purpose: it exists to make the generator's accounting checkable, not to be fast.
 */
final class FrameRelay implements AutoCloseable {
  private final int senders;
  private final List<Path> sockets = new ArrayList<>();
  private final List<ServerSocketChannel> servers = new ArrayList<>();
  private final SocketChannel[] clients;
  private final Map<Long, Integer> macTable = new ConcurrentHashMap<>();
  private final Set<Long> drops = ConcurrentHashMap.newKeySet();
  private final Set<Long> duplicates = ConcurrentHashMap.newKeySet();
  private final Set<Long> swaps = ConcurrentHashMap.newKeySet();
  private final Map<Long, Long> dropFrom = new ConcurrentHashMap<>();
  private final List<Thread> threads = new CopyOnWriteArrayList<>();
  private volatile boolean closed;

  FrameRelay(Path dir, int senders, int receivers) throws IOException {
    this.senders = senders;
    this.clients = new SocketChannel[senders + receivers];
    for (int i = 0; i < senders + receivers; i++) {
      Path socket = dir.resolve("relay-" + i + ".sock");
      ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
      server.bind(UnixDomainSocketAddress.of(socket));
      sockets.add(socket);
      servers.add(server);
      int port = i;
      Thread t = new Thread(() -> serve(port, server), "relay-port-" + i);
      t.setDaemon(true);
      threads.add(t);
      t.start();
    }
  }

  List<Path> sockets() {
    return sockets;
  }

  /** Never delivers frame {@code sequence} from {@code sender} to {@code receiver}. */
  FrameRelay drop(int sender, int receiver, long sequence) {
    drops.add(key(sender, receiver, sequence));
    return this;
  }

  /** Delivers that frame twice in a row. */
  FrameRelay duplicate(int sender, int receiver, long sequence) {
    duplicates.add(key(sender, receiver, sequence));
    return this;
  }

  /** Holds that frame back and delivers it right after the next one of the same stream. */
  FrameRelay swapWithNext(int sender, int receiver, long sequence) {
    swaps.add(key(sender, receiver, sequence));
    return this;
  }

  /** Drops every frame of the stream from {@code sequence} on: a loss only the tail count sees. */
  FrameRelay dropFrom(int sender, int receiver, long sequence) {
    dropFrom.put((long) sender << 16 | receiver, sequence);
    return this;
  }

  private static long key(int sender, int receiver, long sequence) {
    return (long) sender << 48 | (long) receiver << 32 | sequence;
  }

  private void serve(int port, ServerSocketChannel server) {
    try (SocketChannel client = server.accept()) {
      synchronized (this) {
        clients[port] = client;
      }
      ByteBuffer prefix = ByteBuffer.allocate(TestFrame.PREFIX_BYTES);
      Map<Integer, ByteBuffer> held = new HashMap<>();
      while (!closed) {
        prefix.clear();
        readFully(client, prefix);
        ByteBuffer frame = ByteBuffer.allocate(TestFrame.PREFIX_BYTES + prefix.getInt(0));
        frame.putInt(prefix.getInt(0));
        readFully(client, frame);
        forward(port, frame, held);
      }
    } catch (IOException e) {
      // Closed by the generator or by close(): the port is done.
    }
  }

  private void forward(int port, ByteBuffer frame, Map<Integer, ByteBuffer> held)
      throws IOException {
    int f = TestFrame.PREFIX_BYTES;
    macTable.put(TestFrame.getMac(frame, f + TestFrame.SRC_OFFSET), port);
    Integer out = macTable.get(TestFrame.destination(frame, f));
    boolean data = TestFrame.isKind(frame, f, frame.limit() - f, TestFrame.KIND_DATA);
    if (out == null || !data) {
      for (int p = 0; p < clients.length; p++) {
        if (p != port) {
          write(p, frame);
        }
      }
      return;
    }
    int receiver = out - senders;
    int sender = TestFrame.portIndex(frame, f);
    long sequence = TestFrame.sequence(frame, f);
    long key = key(sender, receiver, sequence);
    Long cut = dropFrom.get((long) sender << 16 | receiver);
    if (drops.contains(key) || (cut != null && sequence >= cut)) {
      return;
    }
    if (swaps.contains(key)) {
      held.put(receiver, frame);
      return;
    }
    write(out, frame);
    if (duplicates.contains(key)) {
      write(out, frame);
    }
    ByteBuffer late = held.remove(receiver);
    if (late != null) {
      write(out, late);
    }
  }

  private void write(int port, ByteBuffer frame) throws IOException {
    SocketChannel client;
    synchronized (this) {
      client = clients[port];
    }
    if (client == null) {
      return;
    }
    synchronized (client) {
      ByteBuffer view = frame.duplicate().position(0);
      while (view.hasRemaining()) {
        client.write(view);
      }
    }
  }

  private static void readFully(SocketChannel channel, ByteBuffer buf) throws IOException {
    while (buf.hasRemaining()) {
      if (channel.read(buf) < 0) {
        throw new EOFException();
      }
    }
  }

  @Override
  public void close() throws IOException {
    closed = true;
    for (ServerSocketChannel server : servers) {
      server.close();
    }
    synchronized (this) {
      for (SocketChannel client : clients) {
        if (client != null) {
          client.close();
        }
      }
    }
    for (Thread t : threads) {
      try {
        t.join(2_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
