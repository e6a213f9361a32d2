package org.vccp.vnet.port.stream;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.jna.Library;
import com.sun.jna.Native;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.unix.FileDescriptor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.vccp.vnet.forwarding.SwitchCommand;
import org.vccp.vnet.port.EgressQueue;
import org.vccp.vnet.port.UnsentFrames;
import org.vccp.vnet.status.Counters;
import org.vccp.vnet.status.PortCounter;
import org.vccp.vnet.testing.Frames;

/**
 * Direct sends over a real non-blocking Unix socket pair: what the socket takes is exactly a prefix
 * of the stream, whole frames are counted sent, and the rest (from where the socket stopped, in the
 * middle of a frame or not) is handed on intact, so that the loop's write continues the stream.
 */
class DirectSendTest {
  private interface LibC extends Library {
    LibC INSTANCE = Native.load("c", LibC.class);

    int socketpair(int domain, int type, int protocol, int[] fds);
  }

  private static final int AF_UNIX = 1;
  private static final int SOCK_STREAM = 1;
  private static final int SOCK_NONBLOCK = 0x800;

  private FileDescriptor switchEnd;
  private FileDescriptor peerEnd;
  private final EgressQueue queue = new EgressQueue(1 << 20);
  private final Counters counters = Counters.forPort();
  private final DirectSend direct = new DirectSend(queue, counters, () -> 0);

  @BeforeAll
  static void nativeTransport() {
    Epoll.ensureAvailability(); // loads the native library FileDescriptor calls into
  }

  @BeforeEach
  void socketPair() {
    int[] fds = new int[2];
    assertThat(LibC.INSTANCE.socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds)).isZero();
    switchEnd = new FileDescriptor(fds[0]);
    peerEnd = new FileDescriptor(fds[1]);
    direct.attach(switchEnd);
  }

  @AfterEach
  void close() throws IOException {
    direct.detach(new UnsentFrames());
    peerEnd.close();
  }

  @Test
  void aFullSocketTakesAPrefixAndTheRestContinuesTheStreamExactly() throws IOException {
    List<byte[]> frames = new ArrayList<>();
    while (direct.trySend()) {
      for (int i = 0; i < 5; i++) {
        byte[] f = Frames.frame(1, 2, 1500, frames.size());
        assertThat(queue.offer(f, f.length, false, -1, frames.size(), 3)).isTrue();
        frames.add(f);
      }
      assertThat(frames.size()).as("a socket pair holds less than 10 MB").isLessThan(7_000);
    }
    assertThat(queue.isEmpty()).isTrue();
    assertThat(direct.hasRest()).isTrue();
    long whole = counters.get(PortCounter.TX_FRAMES);
    assertThat(counters.get(PortCounter.TX_BYTES)).isEqualTo(whole * 1500);
    assertThat(counters.get(PortCounter.TX_DIRECT_FRAMES)).isEqualTo(whole);

    byte[] next = Frames.frame(1, 2, 60, frames.size());
    queue.offer(next, next.length, false, -1, frames.size(), 3);
    assertThat(direct.trySend()).as("no direct send while a rest waits").isFalse();
    assertThat(queue.bytesQueued()).isPositive();

    ByteBuf rest = Unpooled.buffer();
    UnsentFrames restFrames = new UnsentFrames();
    long[] moved = new long[2];
    int restBytes = direct.restBytes();
    assertThat(direct.pendingBytes()).isEqualTo(restBytes).isPositive();
    direct.takeRest(rest, restFrames, moved);
    assertThat(direct.hasRest()).isFalse();
    assertThat(direct.pendingBytes()).as("until handed over").isEqualTo(restBytes);
    direct.handedOver();
    assertThat(direct.pendingBytes()).isZero();
    assertThat(moved[0]).isEqualTo(frames.size() - whole).isPositive();
    assertThat(moved[1]).isEqualTo(moved[0] * 1500);
    SwitchCommand.EgressUnsent ids = restFrames.takeCommand(0, PortCounter.DROP_NO_PORT);
    for (int i = 0; i < ids.packetIds().length; i++) {
      assertThat(ids.packetIds()[i]).isEqualTo(whole + i);
      assertThat(ids.fromPorts()[i]).isEqualTo(3);
    }

    ByteArrayOutputStream stream = new ByteArrayOutputStream();
    stream.writeBytes(readAll(peerEnd));
    byte[] restOfStream = new byte[rest.readableBytes()];
    rest.readBytes(restOfStream);
    stream.writeBytes(restOfStream);
    assertThat(decode(stream.toByteArray())).containsExactlyElementsOf(frames);
  }

  @Test
  void aSocketWhosePeerIsGoneLeavesEverythingAsRest() throws IOException {
    peerEnd.close();
    byte[] f = Frames.frame(1, 2, 200, 7);
    queue.offer(f, f.length, false, -1, 7, 1);
    assertThat(direct.trySend()).isFalse();
    assertThat(counters.get(PortCounter.TX_FRAMES)).isZero();
    assertThat(direct.restBytes()).isEqualTo(4 + 200);
    UnsentFrames unsent = new UnsentFrames();
    assertThat(direct.detach(unsent)).isEqualTo(1);
    assertThat(unsent.takeCommand(0, PortCounter.DROP_NO_PORT).packetIds()).containsExactly(7L);
    assertThat(counters.get(PortCounter.DROP_NO_PORT)).isEqualTo(1);
    assertThat(direct.hasRest()).isFalse();
    assertThat(direct.pendingBytes()).isZero();
    assertThat(direct.trySend()).as("detached").isFalse();
  }

  private static byte[] readAll(FileDescriptor fd) throws IOException {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    ByteBuffer in = ByteBuffer.allocateDirect(64 * 1024);
    byte[] chunk = new byte[in.capacity()];
    int n;
    while ((n = fd.read(in, 0, in.capacity())) > 0) {
      in.get(0, chunk, 0, n);
      all.write(chunk, 0, n);
    }
    return all.toByteArray();
  }

  private static List<byte[]> decode(byte[] stream) {
    List<byte[]> out = new ArrayList<>();
    ByteBuffer b = ByteBuffer.wrap(stream);
    while (b.remaining() >= 4) {
      byte[] f = new byte[b.getInt()];
      b.get(f);
      out.add(f);
    }
    assertThat(b.remaining()).as("no partial frame at the end").isZero();
    return out;
  }
}
