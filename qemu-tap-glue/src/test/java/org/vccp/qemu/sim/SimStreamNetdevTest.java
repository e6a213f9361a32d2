package org.vccp.qemu.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.EOFException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vccp.qemu.guest.StreamSocket;

/**
 * The sim-guest's NIC seen from the wire, as the switch sees a QEMU NIC: length-prefixed frames, an
 * ARP reply per request, no reading while stopped (what it read stays out of the image), and a
 * server that listens again after its peer leaves.
 */
class SimStreamNetdevTest {
  private static final long PEER_MAC = Frames.parseMac("52:54:00:00:00:99");
  private static final int PEER_IP = Frames.parseIpv4("10.0.0.99");
  private static final int GUEST_IP = Frames.parseIpv4("10.0.0.5");

  @TempDir Path dir;

  @Test
  void answersArpStopsReadingWhilePausedAndListensAgain() throws Exception {
    Path link = dir.resolve("n.sock");
    Path image = dir.resolve("n.img");
    SimGuestOptions options =
        SimGuestOptions.builder("n")
            .qmp(dir.resolve("n.qmp"))
            .netdev(StreamSocket.unix(link, true))
            .mac("52:54:00:00:00:05")
            .ip("10.0.0.5")
            .serial(dir.resolve("n.serial"))
            .build();
    try (SimGuest guest = SimGuest.start(options);
        QmpTestClient qmp = QmpTestClient.ready(options.qmpSocket())) {
      try (SocketChannel wire = connect(link)) {
        write(wire, arpRequest());
        assertReply(read(wire));

        qmp.ok("stop");
        write(wire, arpRequest());
        write(wire, arpRequest());
        qmp.ok("migrate", "{\"uri\":\"exec:cat > " + image + "\"}");
        assertThat(qmp.awaitMigration(s -> s.equals("completed")).get("status").asText())
            .isEqualTo("completed");
        SimImage saved = SimImage.read(image);
        assertThat(saved.counter("rx_frames")).isEqualTo(1);
        assertThat(saved.counter("tx_frames")).isEqualTo(1);

        qmp.ok("cont"); // both requests are read and answered now
        assertReply(read(wire));
        assertReply(read(wire));
      }
      try (SocketChannel again = connect(link)) {
        write(again, arpRequest());
        assertReply(read(again));
      }
    }
  }

  private static byte[] arpRequest() {
    return Frames.arp(Frames.ARP_REQUEST, PEER_MAC, PEER_IP, Frames.BROADCAST, 0, GUEST_IP);
  }

  private static void assertReply(byte[] frame) {
    Frames.Arp reply = Frames.parseArp(frame);
    assertThat(reply).isNotNull();
    assertThat(reply.op()).isEqualTo(Frames.ARP_REPLY);
    assertThat(reply.senderIp()).isEqualTo(GUEST_IP);
    assertThat(reply.targetIp()).isEqualTo(PEER_IP);
    assertThat(Frames.dstMac(frame)).isEqualTo(PEER_MAC);
  }

  private static SocketChannel connect(Path path) throws IOException {
    SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
    c.connect(UnixDomainSocketAddress.of(path));
    return c;
  }

  private static void write(SocketChannel c, byte[] frame) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(4 + frame.length).putInt(frame.length).put(frame).flip();
    while (b.hasRemaining()) {
      c.write(b);
    }
  }

  private static byte[] read(SocketChannel c) throws IOException {
    ByteBuffer length = ByteBuffer.allocate(4);
    fill(c, length);
    ByteBuffer frame = ByteBuffer.allocate(length.getInt(0));
    fill(c, frame);
    return frame.array();
  }

  private static void fill(SocketChannel c, ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      if (c.read(b) < 0) {
        throw new EOFException();
      }
    }
  }
}
