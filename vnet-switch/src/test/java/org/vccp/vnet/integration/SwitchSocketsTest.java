package org.vccp.vnet.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vccp.vnet.VirtualSwitch;
import org.vccp.vnet.config.SwitchContext;
import org.vccp.vnet.control.ControlClient;
import org.vccp.vnet.control.SwitchDaemon;
import org.vccp.vnet.frame.EthernetFrame;
import org.vccp.vnet.port.PortAddress;
import org.vccp.vnet.port.PortBindException;
import org.vccp.vnet.port.PortSpec;
import org.vccp.vnet.status.PortCounter;
import org.vccp.vnet.testing.Await;
import org.vccp.vnet.testing.Frames;
import org.vccp.vnet.testing.StreamClient;

/** The switch over real Unix, TCP and UDP sockets, with several peers speaking QEMU's framing. */
class SwitchSocketsTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final Duration QUIET = Duration.ofMillis(300);
  private static final long A = Frames.mac(0xA);
  private static final long B = Frames.mac(0xB);
  private static final long C = Frames.mac(0xC);

  @TempDir Path dir;
  private final List<AutoCloseable> closeables = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
  }

  private <T extends AutoCloseable> T track(T c) {
    closeables.add(c);
    return c;
  }

  private VirtualSwitch switchWith(String... portNames) {
    SwitchContext ctx = new SwitchContext();
    for (String n : portNames) {
      ctx.ports.add(PortSpec.listen(n, PortAddress.unix(sock(n))));
    }
    return track(VirtualSwitch.start(ctx));
  }

  private Path sock(String name) {
    return dir.resolve(name + ".sock");
  }

  private StreamClient client(VirtualSwitch sw, String port) throws IOException {
    StreamClient c = track(StreamClient.unix(sock(port)));
    Await.until(port + " connected", WAIT, () -> sw.port(port).isLinkUp());
    return c;
  }

  @Test
  void learnsThenUnicastsOnlyToTheRightPort() throws Exception {
    VirtualSwitch sw = switchWith("p0", "p1", "p2");
    StreamClient c0 = client(sw, "p0");
    StreamClient c1 = client(sw, "p1");
    StreamClient c2 = client(sw, "p2");

    byte[] hello = Frames.frame(EthernetFrame.BROADCAST, B, 60, 0);
    c1.send(hello);
    assertThat(c0.receive(1, WAIT)).containsExactly(hello);
    assertThat(c2.receive(1, WAIT)).containsExactly(hello);

    byte[] toB = Frames.frame(B, A, 60, 1);
    c0.send(toB);
    assertThat(c1.receive(1, WAIT)).containsExactly(toB);
    assertThat(c2.receive(1, QUIET)).isEmpty();
    assertThat(c0.receive(1, QUIET)).isEmpty();
    assertThat(sw.macs()).extracting(e -> e.mac()).containsExactlyInAnyOrder(A, B);
    // into an idle switch, each frame was forwarded by the I/O thread that read it
    assertThat(sw.counters().get(org.vccp.vnet.status.SwitchCounter.FORWARDED_ON_INGRESS))
        .isBetween(1L, 2L);
  }

  @Test
  void unknownUnicastFloodsToEveryOtherPort() throws Exception {
    VirtualSwitch sw = switchWith("p0", "p1", "p2");
    StreamClient c0 = client(sw, "p0");
    StreamClient c1 = client(sw, "p1");
    StreamClient c2 = client(sw, "p2");
    byte[] f = Frames.frame(C, A, 1514, 7);
    c0.send(f);
    assertThat(c1.receive(1, WAIT)).containsExactly(f);
    assertThat(c2.receive(1, WAIT)).containsExactly(f);
    assertThat(c0.receive(1, QUIET)).isEmpty();
  }

  @Test
  void jumboFramesUpTo65535BytesPassIntact() throws Exception {
    VirtualSwitch sw = switchWith("p0", "p1");
    StreamClient c0 = client(sw, "p0");
    StreamClient c1 = client(sw, "p1");
    byte[] big = Frames.frame(B, A, 65_535, 3);
    c0.send(big);
    List<byte[]> got = c1.receive(1, WAIT);
    assertThat(got.size()).isEqualTo(1);
    assertThat(java.util.Arrays.equals(got.get(0), big)).as("65535-byte frame intact").isTrue();
  }

  @Test
  void tcpPortsForwardLikeUnixPorts() throws Exception {
    int port = freeTcpPort();
    SwitchContext ctx = new SwitchContext();
    ctx.ports.add(PortSpec.listen("t0", PortAddress.tcp("127.0.0.1", port)));
    ctx.ports.add(PortSpec.listen("u1", PortAddress.unix(sock("u1"))));
    VirtualSwitch sw = track(VirtualSwitch.start(ctx));
    StreamClient t = track(StreamClient.tcp(port));
    StreamClient u = client(sw, "u1");
    Await.until("t0 connected", WAIT, () -> sw.port("t0").isLinkUp());
    byte[] f = Frames.frame(B, A, 200, 1);
    t.send(f);
    assertThat(u.receive(1, WAIT)).containsExactly(f);
    byte[] back = Frames.frame(A, B, 200, 2);
    u.send(back);
    assertThat(t.receive(1, WAIT)).containsExactly(back);
  }

  @Test
  void aStalledReaderCostsNothingToTwoPeersExchanging100000Frames() throws Exception {
    VirtualSwitch sw = switchWith("p0", "p1", "stuck");
    StreamClient c0 = client(sw, "p0");
    StreamClient c1 = client(sw, "p1");
    StreamClient stuck = track(StreamClient.unix(sock("stuck"), false));
    Await.until("stuck connected", WAIT, () -> sw.port("stuck").isLinkUp());
    c0.send(Frames.frame(EthernetFrame.BROADCAST, A, 60, 0));
    c1.send(Frames.frame(EthernetFrame.BROADCAST, B, 60, 0));
    c1.receive(1, WAIT);
    c0.receive(1, WAIT);

    int perDirection = 50_000;
    int window = 2_000;
    List<byte[]> fromC0 = new ArrayList<>();
    List<byte[]> fromC1 = new ArrayList<>();
    for (int i = 0; i < perDirection; i++) {
      fromC0.add(Frames.frame(B, A, 64, i));
      fromC1.add(Frames.frame(A, B, 64, i));
    }
    List<byte[]> broadcasts = new ArrayList<>();
    for (int i = 0; i < 2_000; i++) {
      broadcasts.add(Frames.frame(EthernetFrame.BROADCAST, A, 1500, 1_000_000 + i));
    }
    // Flooded to c1 and to the stalled port, whose queue overflows. Sent in windows, as a
    // flow-controlled sender would, so c1 (a reading peer) is never the one overrun.
    for (int from = 0; from < broadcasts.size(); from += 200) {
      c0.sendAll(broadcasts.subList(from, from + 200));
      assertThat(c1.receive(200, WAIT).size()).isEqualTo(200);
    }

    List<byte[]> at1 = new ArrayList<>();
    List<byte[]> at0 = new ArrayList<>();
    for (int from = 0; from < perDirection; from += window) {
      c0.sendAll(fromC0.subList(from, from + window));
      c1.sendAll(fromC1.subList(from, from + window));
      at1.addAll(c1.receive(window, WAIT));
      at0.addAll(c0.receive(window, WAIT));
      assertThat(at1.size())
          .as("frames p0 -> p1 after %d sent", from + window)
          .isEqualTo(from + window);
      assertThat(at0.size())
          .as("frames p1 -> p0 after %d sent", from + window)
          .isEqualTo(from + window);
    }
    assertInOrder(at0, perDirection);
    assertInOrder(at1, perDirection);
    var stuckCounters = sw.port("stuck").counters();
    assertThat(stuckCounters.get(PortCounter.DROP_CONGESTION)).isPositive();
    for (String p : List.of("p0", "p1")) {
      assertThat(sw.port(p).counters().get(PortCounter.DROP_CONGESTION)).as(p).isZero();
    }
    assertThat(stuck).isNotNull();
  }

  /**
   * At low load the forwarding thread writes to the peer's socket itself (tx_direct_frames). When
   * that socket fills, what it did not take, part of a frame included, goes out through the port's
   * own loop ahead of everything queued after it: a peer that stops reading and resumes gets every
   * frame once, in order.
   */
  @Test
  void directWritesHandOverToTheLoopMidFrameWhenThePeerStopsReading() throws Exception {
    VirtualSwitch sw = switchWithRoomFor1500Frames("src", "slow");
    StreamClient src = client(sw, "src");
    StreamClient slow = silentPeer(sw, "slow", C);
    src.receive(1, WAIT);
    int n = 1_500; // 2.2 MB: several times what the socket holds
    sendToCInFours(sw, src, n);
    var out = sw.port("slow").counters();
    long direct = out.get(PortCounter.TX_DIRECT_FRAMES);
    assertThat(direct).as("frames the forwarding thread wrote").isPositive().isLessThan(n);

    slow.startReading();
    assertInOrder(slow.receive(n, WAIT), n);
    Await.until("all counted sent", WAIT, () -> out.get(PortCounter.TX_FRAMES) == n);
    Await.until("nothing left unsent", WAIT, () -> sw.port("slow").unsentBytes() == 0);
    assertThat(out.get(PortCounter.DROP_CONGESTION)).isZero();

    src.send(Frames.frame(C, A, 100, n));
    assertThat(slow.receive(1, WAIT)).hasSize(1);
    Await.until(
        "a frame at low load is written directly again",
        WAIT,
        () -> out.get(PortCounter.TX_DIRECT_FRAMES) == direct + 1);
  }

  /** A peer that leaves while frames wait for it: each is either written or dropped, counted. */
  @Test
  void framesForAPeerThatLeavesAreEachCountedSentOrDropped() throws Exception {
    VirtualSwitch sw = switchWithRoomFor1500Frames("src", "gone");
    StreamClient src = client(sw, "src");
    StreamClient gone = silentPeer(sw, "gone", C);
    src.receive(1, WAIT);
    int n = 1_500;
    sendToCInFours(sw, src, n);
    var out = sw.port("gone").counters();
    assertThat(out.get(PortCounter.TX_DIRECT_FRAMES)).isPositive();

    gone.close();
    Await.until(
        "every frame sent or dropped",
        WAIT,
        () -> out.get(PortCounter.TX_FRAMES) + out.get(PortCounter.DROP_NO_PORT) == n);
    assertThat(out.get(PortCounter.DROP_NO_PORT)).isPositive();
    Await.until("nothing left unsent", WAIT, () -> sw.port("gone").unsentBytes() == 0);
  }

  /** Two listening ports whose egress queues hold 1,500 full-size frames (4 MiB). */
  private VirtualSwitch switchWithRoomFor1500Frames(String a, String b) {
    SwitchContext ctx = new SwitchContext();
    ctx.egressQueueBytes = 4 << 20;
    ctx.ports.add(PortSpec.listen(a, PortAddress.unix(sock(a))));
    ctx.ports.add(PortSpec.listen(b, PortAddress.unix(sock(b))));
    return track(VirtualSwitch.start(ctx));
  }

  /** A peer on {@code port} that announces {@code mac} (a broadcast), then reads nothing. */
  private StreamClient silentPeer(VirtualSwitch sw, String port, long mac) throws IOException {
    StreamClient c = track(StreamClient.unix(sock(port), false));
    Await.until(port + " connected", WAIT, () -> sw.port(port).isLinkUp());
    c.send(Frames.frame(EthernetFrame.BROADCAST, mac, 60, 0));
    return c;
  }

  /**
   * Sends {@code n} frames from A to C four at a time, each four once the switch has read the last:
   * low load, so each flush leaves little queued. Odd lengths put the socket's cuts mid-frame.
   */
  private static void sendToCInFours(VirtualSwitch sw, StreamClient src, int n) throws Exception {
    var rx = sw.port("src").counters();
    for (int from = 0; from < n; from += 4) {
      List<byte[]> batch = new ArrayList<>();
      for (int i = from; i < from + 4; i++) {
        batch.add(Frames.frame(C, A, 1499 + i % 3, i));
      }
      src.sendAll(batch);
      long want = from + 4;
      Await.until("frames read by the switch", WAIT, () -> rx.get(PortCounter.RX_FRAMES) >= want);
    }
  }

  private static void sendQuietly(StreamClient c, List<byte[]> frames) {
    try {
      c.sendAll(frames);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void assertInOrder(List<byte[]> frames, int n) {
    assertThat(frames.size()).isEqualTo(n);
    for (int i = 0; i < n; i++) {
      if (Frames.seq(frames.get(i)) != i) {
        throw new AssertionError("frame " + i + " has sequence " + Frames.seq(frames.get(i)));
      }
    }
  }

  @Test
  void zeroLengthClosesOnlyThatConnectionAndThePortAcceptsTheGuestAgain() throws Exception {
    assertBadLengthClosesOnlyItsConnection(0, PortCounter.DROP_MALFORMED_LENGTH);
  }

  @Test
  void runtLengthClosesOnlyThatConnection() throws Exception {
    assertBadLengthClosesOnlyItsConnection(5, PortCounter.DROP_RUNT);
  }

  @Test
  void oversizeLengthClosesOnlyThatConnection() throws Exception {
    assertBadLengthClosesOnlyItsConnection(70_000, PortCounter.DROP_OVERSIZE);
  }

  private void assertBadLengthClosesOnlyItsConnection(int length, PortCounter reason)
      throws Exception {
    VirtualSwitch sw = switchWith("bad", "p1", "p2");
    StreamClient bad = client(sw, "bad");
    StreamClient c1 = client(sw, "p1");
    StreamClient c2 = client(sw, "p2");
    bad.sendRaw(ByteBuffer.allocate(24).putInt(length).array());
    assertThat(bad.awaitClosed(WAIT)).isTrue();
    assertThat(sw.port("bad").counters().get(reason)).isEqualTo(1);
    Await.until("bad port link down", WAIT, () -> !sw.port("bad").isLinkUp());

    byte[] f = Frames.frame(C, A, 60, 1);
    c1.send(f);
    assertThat(c2.receive(1, WAIT)).containsExactly(f);

    StreamClient again = client(sw, "bad");
    byte[] g = Frames.frame(EthernetFrame.BROADCAST, B, 60, 2);
    again.send(g);
    assertThat(c1.receive(1, WAIT)).containsExactly(g);
  }

  /**
   * A guest that connects while the port still has a peer (a restored guest racing the end of its
   * killed predecessor) waits, receives nothing meanwhile, and gets the port when the first leaves.
   */
  @Test
  void aSecondPeerWaitsAndTakesThePortWhenTheFirstLeaves() throws Exception {
    VirtualSwitch sw = switchWith("p1", "p2");
    StreamClient first = client(sw, "p1");
    StreamClient c2 = client(sw, "p2");
    StreamClient second = track(StreamClient.unix(sock("p1")));
    byte[] f1 = Frames.frame(EthernetFrame.BROADCAST, B, 60, 1);
    c2.send(f1);
    assertThat(first.receive(1, WAIT)).containsExactly(f1);
    assertThat(second.receive(1, QUIET)).isEmpty();
    first.close();
    Await.until(
        "the waiting peer took the port",
        WAIT,
        () -> sw.port("p1").counters().get(PortCounter.CONNECTS) == 2 && sw.port("p1").isLinkUp());
    byte[] f2 = Frames.frame(EthernetFrame.BROADCAST, B, 60, 2);
    c2.send(f2);
    assertThat(second.receive(1, WAIT)).containsExactly(f2);
    StreamClient third = track(StreamClient.unix(sock("p1"))); // waits
    Thread.sleep(100); // the third is accepted before the fourth
    StreamClient fourth = track(StreamClient.unix(sock("p1")));
    assertThat(fourth.awaitClosed(WAIT)).as("a third peer at once is refused").isTrue();
    // what a waiting peer sent before leaving never enters the switch (Netty reads it at its end)
    third.send(Frames.frame(EthernetFrame.BROADCAST, C, 60, 3));
    third.close();
    assertThat(c2.receive(1, QUIET)).isEmpty();
  }

  /**
   * A waiting peer whose predecessor never leaves is a second guest on one port: closed in time.
   */
  @Test
  void aWaitingPeerIsClosedWhenTheCurrentOneStays() throws Exception {
    SwitchContext ctx = new SwitchContext();
    ctx.waitingPeerMs = 300;
    for (String n : new String[] {"p1", "p2"}) {
      ctx.ports.add(PortSpec.listen(n, PortAddress.unix(sock(n))));
    }
    VirtualSwitch sw = track(VirtualSwitch.start(ctx));
    StreamClient first = client(sw, "p1");
    StreamClient c2 = client(sw, "p2");
    long start = System.nanoTime();
    StreamClient second = track(StreamClient.unix(sock("p1")));

    assertThat(second.awaitClosed(WAIT)).as("the waiting peer is closed").isTrue();

    assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(300_000_000L);
    byte[] f = Frames.frame(EthernetFrame.BROADCAST, B, 60, 1);
    c2.send(f);
    assertThat(first.receive(1, WAIT)).as("the current peer keeps the port").containsExactly(f);
    assertThat(sw.port("p1").counters().get(PortCounter.CONNECTS)).isEqualTo(1);
  }

  @Test
  void multicastSourceIsDroppedAndCounted() throws Exception {
    VirtualSwitch sw = switchWith("p0", "p1");
    StreamClient c0 = client(sw, "p0");
    StreamClient c1 = client(sw, "p1");
    c0.send(Frames.frame(B, 0x0100_5e00_0001L, 60, 1));
    Await.until(
        "drop counted",
        WAIT,
        () -> sw.port("p0").counters().get(PortCounter.DROP_MULTICAST_SOURCE) == 1);
    assertThat(c1.receive(1, QUIET)).isEmpty();
  }

  @Test
  void dialingPortWaitsForTheGuestAndRedialsWhenTheConnectionDrops() throws Exception {
    Path guest = sock("guest");
    SwitchContext ctx = new SwitchContext();
    ctx.redialMs = 20;
    ctx.ports.add(PortSpec.connect("g", PortAddress.unix(guest)));
    ctx.ports.add(PortSpec.listen("p1", PortAddress.unix(sock("p1"))));
    VirtualSwitch sw = track(VirtualSwitch.start(ctx));
    StreamClient c1 = client(sw, "p1");
    assertThat(sw.port("g").isLinkUp()).isFalse();

    ServerSocketChannel server = track(ServerSocketChannel.open(StandardProtocolFamily.UNIX));
    server.bind(UnixDomainSocketAddress.of(guest));
    for (int round = 0; round < 2; round++) {
      StreamClient g = StreamClient.of(server.accept());
      Await.until("switch dialed the guest", WAIT, () -> sw.port("g").isLinkUp());
      byte[] f = Frames.frame(B, A, 100, round);
      g.send(f);
      assertThat(c1.receive(1, WAIT)).containsExactly(f);
      byte[] back = Frames.frame(A, B, 100, round);
      c1.send(back);
      assertThat(g.receive(1, WAIT)).containsExactly(back);
      g.close();
      Await.until("link down", WAIT, () -> !sw.port("g").isLinkUp());
    }
    assertThat(sw.port("g").counters().get(PortCounter.CONNECTS)).isEqualTo(2);
  }

  @Test
  void udpDatagramPortCarriesOneFramePerDatagram() throws Exception {
    DatagramChannel guest = track(DatagramChannel.open());
    guest.bind(new InetSocketAddress("127.0.0.1", 0));
    int guestPort = ((InetSocketAddress) guest.getLocalAddress()).getPort();
    int switchPort = freeUdpPort();
    SwitchContext ctx = new SwitchContext();
    ctx.ports.add(
        new PortSpec(
            "d",
            PortSpec.Mode.DGRAM,
            PortAddress.udp("127.0.0.1", switchPort),
            PortAddress.udp("127.0.0.1", guestPort),
            false,
            null,
            0));
    ctx.ports.add(PortSpec.listen("p1", PortAddress.unix(sock("p1"))));
    VirtualSwitch sw = track(VirtualSwitch.start(ctx));
    StreamClient c1 = client(sw, "p1");

    byte[] f = Frames.frame(B, A, 300, 1);
    guest.send(ByteBuffer.wrap(f), new InetSocketAddress("127.0.0.1", switchPort));
    assertThat(c1.receive(1, WAIT)).containsExactly(f);
    byte[] back = Frames.frame(A, B, 300, 2);
    c1.send(back);
    ByteBuffer in = ByteBuffer.allocate(2048);
    guest.receive(in);
    in.flip();
    byte[] got = new byte[in.remaining()];
    in.get(got);
    assertThat(got).isEqualTo(back);

    guest.send(ByteBuffer.wrap(new byte[8]), new InetSocketAddress("127.0.0.1", switchPort));
    Await.until(
        "runt counted", WAIT, () -> sw.port("d").counters().get(PortCounter.DROP_RUNT) == 1);
  }

  @Test
  void unixDatagramPortCarriesOneFramePerDatagram() throws Exception {
    Path guestPath = dir.resolve("g.dgram");
    Path switchPath = dir.resolve("s.dgram");
    java.util.concurrent.LinkedBlockingQueue<byte[]> atGuest =
        new java.util.concurrent.LinkedBlockingQueue<>();
    io.netty.channel.EventLoopGroup group =
        new io.netty.channel.MultiThreadIoEventLoopGroup(
            1, io.netty.channel.epoll.EpollIoHandler.newFactory());
    closeables.add(() -> group.shutdownGracefully().syncUninterruptibly());
    io.netty.channel.Channel guest =
        new io.netty.bootstrap.Bootstrap()
            .group(group)
            .channel(io.netty.channel.epoll.EpollDomainDatagramChannel.class)
            .handler(
                new io.netty.channel.SimpleChannelInboundHandler<
                    io.netty.channel.unix.DomainDatagramPacket>() {
                  @Override
                  protected void channelRead0(
                      io.netty.channel.ChannelHandlerContext ctx,
                      io.netty.channel.unix.DomainDatagramPacket p) {
                    byte[] b = new byte[p.content().readableBytes()];
                    p.content().readBytes(b);
                    atGuest.add(b);
                  }
                })
            .bind(new io.netty.channel.unix.DomainSocketAddress(guestPath.toString()))
            .sync()
            .channel();
    SwitchContext ctx = new SwitchContext();
    ctx.ports.add(PortSpec.parse("d,dgram=unix:" + switchPath + ",remote=unix:" + guestPath));
    ctx.ports.add(PortSpec.listen("p1", PortAddress.unix(sock("p1"))));
    VirtualSwitch sw = track(VirtualSwitch.start(ctx));
    StreamClient c1 = client(sw, "p1");

    byte[] f = Frames.frame(B, A, 500, 1);
    guest
        .writeAndFlush(
            new io.netty.channel.unix.DomainDatagramPacket(
                io.netty.buffer.Unpooled.wrappedBuffer(f),
                new io.netty.channel.unix.DomainSocketAddress(switchPath.toString())))
        .sync();
    assertThat(c1.receive(1, WAIT)).containsExactly(f);
    byte[] back = Frames.frame(A, B, 500, 2);
    c1.send(back);
    byte[] got = atGuest.poll(WAIT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    assertThat(got).isEqualTo(back);
    guest.close().sync();

    // With the guest's socket gone, a datagram to it is refused: counted as a send error, not sent.
    java.nio.file.Files.deleteIfExists(guestPath);
    c1.send(Frames.frame(A, B, 500, 3));
    org.vccp.vnet.status.Counters d = sw.port("d").counters();
    Await.until("send error counted", WAIT, () -> d.get(PortCounter.DROP_SEND_ERROR) == 1);
    assertThat(d.get(PortCounter.TX_FRAMES)).isEqualTo(1);
  }

  @Test
  void bindFailureNamesThePortThePathAndWhy() {
    SwitchContext ctx = new SwitchContext();
    ctx.ports.add(PortSpec.listen("g1", PortAddress.unix(dir.resolve("missing/dir/g1.sock"))));
    assertThatThrownBy(() -> VirtualSwitch.start(ctx))
        .isInstanceOf(PortBindException.class)
        .hasMessageContaining("port g1")
        .hasMessageContaining("missing/dir/g1.sock")
        .hasMessageContaining("does not exist");
  }

  @Test
  void refusesToStealALiveSocket() throws Exception {
    ServerSocketChannel live = track(ServerSocketChannel.open(StandardProtocolFamily.UNIX));
    live.bind(UnixDomainSocketAddress.of(sock("busy")));
    SwitchContext ctx = new SwitchContext();
    ctx.ports.add(PortSpec.listen("busy", PortAddress.unix(sock("busy"))));
    assertThatThrownBy(() -> VirtualSwitch.start(ctx))
        .isInstanceOf(PortBindException.class)
        .hasMessageContaining("another process is listening");
  }

  @Test
  void staleSocketFileIsReplaced() throws Exception {
    ServerSocketChannel old = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    old.bind(UnixDomainSocketAddress.of(sock("p0")));
    old.close(); // leaves the file behind
    assertThat(Files.exists(sock("p0"))).isTrue();
    VirtualSwitch sw = switchWith("p0", "p1");
    client(sw, "p0");
  }

  @Test
  void controlSocketAnswersMalformedJsonWithAnErrorAndKeepsServing() throws Exception {
    SwitchContext ctx = new SwitchContext();
    ctx.controlSocket = dir.resolve("ctl.sock");
    ctx.metricsPort = freeTcpPort();
    ctx.ports.add(PortSpec.listen("p0", PortAddress.unix(sock("p0"))));
    SwitchDaemon daemon = track(SwitchDaemon.start(ctx));
    VirtualSwitch sw = daemon.virtualSwitch();
    ControlClient ctl = track(new ControlClient(ctx.controlSocket));

    assertThat(ctl.sendLine("{not json")).contains("\"ok\":false").contains("malformed JSON");
    assertThat(ctl.sendLine("[1,2]")).contains("\"ok\":false");
    assertThat(ctl.sendLine("{\"cmd\":\"launch-missiles\"}")).contains("unknown cmd");
    assertThat(ctl.command("ports").path("ports").get(0).path("name").asText()).isEqualTo("p0");

    String added =
        ctl.sendLine("{\"cmd\":\"add-port\",\"spec\":\"p1,listen=unix:" + sock("p1") + "\"}");
    assertThat(added).contains("\"ok\":true");
    StreamClient c0 = client(sw, "p0");
    StreamClient c1 = client(sw, "p1");
    byte[] f = Frames.frame(B, A, 60, 1);
    c0.send(f);
    assertThat(c1.receive(1, WAIT)).containsExactly(f);

    assertThat(ctl.command("stats").path("ports").path("p0").path("rx_frames").asLong())
        .isEqualTo(1);
    assertThat(ctl.command("macs").path("macs").get(0).path("port").asText()).isEqualTo("p0");
    assertThat(ctl.sendLine("{\"cmd\":\"add-port\",\"spec\":\"p1,listen=unix:/x\"}"))
        .contains("already exists");
    assertThat(ctl.sendLine("{\"cmd\":\"del-port\",\"name\":\"p1\"}")).contains("\"ok\":true");
    assertThat(c1.awaitClosed(WAIT)).isTrue();
    assertThat(sw.port("p1")).isNull();

    String metrics =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + ctx.metricsPort + "/metrics"))
                    .build(),
                HttpResponse.BodyHandlers.ofString())
            .body();
    assertThat(metrics)
        .contains("# TYPE vccp_port_rx_frames_total counter")
        .contains("vccp_port_rx_frames_total{port=\"p0\"} 1")
        .contains("vccp_mac_learned_total 1");
  }

  @org.junit.jupiter.api.RepeatedTest(3)
  void losslessPortPushesBackOnItsSenderOnlyAndLosesNothing() throws Exception {
    SwitchContext ctx = new SwitchContext();
    ctx.egressQueueBytes = 128 * 1024;
    ctx.ports.add(PortSpec.listen("src", PortAddress.unix(sock("src"))));
    ctx.ports.add(PortSpec.listen("slow", PortAddress.unix(sock("slow"))).withLossless(true));
    ctx.ports.add(PortSpec.listen("x", PortAddress.unix(sock("x"))));
    ctx.ports.add(PortSpec.listen("y", PortAddress.unix(sock("y"))));
    VirtualSwitch sw = track(VirtualSwitch.start(ctx));
    StreamClient src = client(sw, "src");
    StreamClient slow = track(StreamClient.unix(sock("slow"), false));
    Await.until("slow connected", WAIT, () -> sw.port("slow").isLinkUp());
    StreamClient x = client(sw, "x");
    StreamClient y = client(sw, "y");
    slow.send(Frames.frame(EthernetFrame.BROADCAST, C, 60, 0));
    y.send(Frames.frame(EthernetFrame.BROADCAST, B, 60, 0));
    Await.until("macs learned", WAIT, () -> sw.macs().size() == 2);
    src.receive(2, WAIT);
    x.receive(2, WAIT);

    int n = 20_000;
    List<byte[]> toSlow = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      toSlow.add(Frames.frame(C, A, 1500, i));
    }
    Thread sender = new Thread(() -> sendQuietly(src, toSlow));
    sender.start();
    Await.until(
        "backpressure on the sender",
        WAIT,
        () -> sw.port("slow").counters().get(PortCounter.BACKPRESSURE) > 0);

    List<byte[]> toY = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      toY.add(Frames.frame(B, Frames.mac(0xD), 1500, i));
    }
    for (int round = 0; round < 20; round++) {
      x.sendAll(toY);
      assertThat(y.receive(toY.size(), WAIT).size())
          .as("x -> y while src is paused")
          .isEqualTo(toY.size());
    }
    assertThat(sw.port("src").describe()).contains("paused");

    slow.startReading();
    List<byte[]> got =
        slow.receive(n + 1, Duration.ofSeconds(60)).stream()
            .filter(f -> EthernetFrame.source(f, 0) == A)
            .toList();
    sender.join(20_000);
    assertThat(sender.isAlive())
        .as(
            "sender unblocked; got %d; src %s; slow %s queued %d tx %d",
            got.size(),
            sw.port("src").describe(),
            sw.port("slow").describe(),
            sw.port("slow").egress().bytesQueued(),
            sw.port("slow").counters().get(PortCounter.TX_FRAMES))
        .isFalse();
    assertInOrder(got, n);
    assertThat(sw.port("slow").counters().get(PortCounter.DROP_CONGESTION)).isZero();
  }

  private static int freeTcpPort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static int freeUdpPort() throws IOException {
    try (DatagramChannel d = DatagramChannel.open()) {
      d.bind(new InetSocketAddress("127.0.0.1", 0));
      return ((InetSocketAddress) d.getLocalAddress()).getPort();
    }
  }
}
