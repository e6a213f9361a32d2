package org.vccp.vnet.port.dgram;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollDomainDatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.unix.DomainDatagramPacket;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vccp.vnet.frame.EthernetFrame;
import org.vccp.vnet.port.EgressQueue;
import org.vccp.vnet.port.PortAddress;
import org.vccp.vnet.port.PortBindException;
import org.vccp.vnet.port.PortIo;
import org.vccp.vnet.port.PortSpec;
import org.vccp.vnet.port.SocketPort;
import org.vccp.vnet.port.UnixSocketFiles;
import org.vccp.vnet.port.UnsentFrames;
import org.vccp.vnet.ring.FrameRing;
import org.vccp.vnet.status.PortCounter;

/**
 * A port for QEMU's {@code -netdev dgram}: one Ethernet frame per datagram, no prefix, over UDP or
 * Unix datagram sockets. The switch binds its local address and sends to the guest's. A datagram
 * too short or too long to be a frame is dropped and counted; there is no connection to lose, so
 * nothing else happens.
 */
public final class DgramPort extends SocketPort {
  private static final Logger LOG = LoggerFactory.getLogger(DgramPort.class);

  private final SocketAddress remote;
  private final boolean unix;
  private final Sender sender = new Sender();
  private volatile Channel channel;

  public DgramPort(
      int id, PortSpec spec, PortIo io, FrameRing ring, int maxFrameBytes, int egressQueueBytes) {
    super(id, spec, io, ring, maxFrameBytes, egressQueueBytes);
    this.unix = spec.address().scheme() == PortAddress.Scheme.UNIX;
    this.remote = PortIo.socketAddress(spec.remote());
  }

  @Override
  protected Channel dataChannel() {
    return channel;
  }

  /** Binds the local address. */
  @Override
  public void open() {
    PortAddress a = spec.address();
    if (unix) {
      UnixSocketFiles.prepareForListen("port " + spec.name(), Path.of(a.path()));
    }
    Bootstrap b =
        new Bootstrap()
            .group(loop)
            .channel(unix ? EpollDomainDatagramChannel.class : EpollDatagramChannel.class)
            .option(ChannelOption.SO_RCVBUF, 4 << 20)
            .option(ChannelOption.SO_SNDBUF, 4 << 20)
            .handler(new Receiver());
    ChannelFuture f = b.bind(PortIo.socketAddress(a)).awaitUninterruptibly();
    if (!f.isSuccess()) {
      Throwable c = f.cause();
      throw new PortBindException(
          "port " + spec.name() + ": cannot bind " + a + ": " + c.getMessage(), c);
    }
    channel = f.channel();
    counters.incrementShared(PortCounter.CONNECTS);
    LOG.info("port {}: datagrams on {} to {}", spec.name(), a, spec.remote());
  }

  /** Validates and publishes each datagram. */
  private final class Receiver extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      try {
        ByteBuf content =
            msg instanceof DatagramPacket p
                ? p.content()
                : msg instanceof DomainDatagramPacket d ? d.content() : null;
        if (content == null) {
          return;
        }
        int len = content.readableBytes();
        if (len < EthernetFrame.HEADER_BYTES) {
          counters.increment(PortCounter.DROP_RUNT);
          LOG.debug("port {}: dropped a {}-byte datagram (runt)", spec.name(), len);
          ring.publishDropped(
              id, PortCounter.DROP_RUNT.id(), content, content.readerIndex(), len, len);
          return;
        }
        if (len > maxFrameBytes) {
          counters.increment(PortCounter.DROP_OVERSIZE);
          ring.publishDropped(
              id,
              PortCounter.DROP_OVERSIZE.id(),
              content,
              content.readerIndex(),
              len,
              maxFrameBytes);
          return;
        }
        counters.increment(PortCounter.RX_FRAMES);
        counters.add(PortCounter.RX_BYTES, len);
        ring.publishFrame(id, content, content.readerIndex(), len);
      } finally {
        ReferenceCountUtil.release(msg);
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      LOG.info("port {}: socket error: {}", spec.name(), cause.getMessage());
    }
  }

  /**
   * Copies each queued frame into its own datagram. A datagram the socket refuses (the peer's
   * socket is gone, no route) costs only itself: it is counted as {@code drop_send_error} and
   * reported to the recording as unsent.
   */
  private final class Sender implements EgressQueue.FrameHandler {
    /** Datagrams handed to the channel, not yet sent or refused; oldest first. */
    private final UnsentFrames writing = new UnsentFrames();

    private final ChannelFutureListener done = this::done;
    private final Runnable report = this::report;
    private Channel ch;
    private boolean warned;
    private boolean reportScheduled;

    @Override
    public boolean onFrame(byte[] buffer, int offset, int length, long packetId, int fromPort) {
      ByteBuf out = ch.alloc().directBuffer(length);
      out.writeBytes(buffer, offset, length);
      Object packet =
          unix
              ? new DomainDatagramPacket(out, (DomainSocketAddress) remote)
              : new DatagramPacket(out, (InetSocketAddress) remote);
      writing.add(packetId, fromPort, length);
      ch.write(packet).addListener(done);
      return true;
    }

    private void report() {
      reportScheduled = false;
      reportUnsent(PortCounter.DROP_SEND_ERROR);
    }

    /** Writes complete in order: each completion is the oldest datagram in {@link #writing}. */
    private void done(ChannelFuture f) {
      if (f.isSuccess()) {
        counters.add(PortCounter.TX_FRAMES, 1);
        counters.add(PortCounter.TX_BYTES, writing.oldestLength());
        writing.skip(1);
      } else {
        writing.moveTo(unsent, 1);
        counters.increment(PortCounter.DROP_SEND_ERROR);
        // a datagram can fail after drain() returned (sent later, when the socket was writable)
        if (!reportScheduled) {
          reportScheduled = true;
          loop.execute(report);
        }
        if (!warned) {
          warned = true;
          LOG.warn(
              "port {}: cannot send to {}: {}; counted as drop_send_error",
              spec.name(),
              remote,
              f.cause() != null ? f.cause().getMessage() : "refused");
        }
      }
    }
  }

  @Override
  protected void drain() {
    Channel ch = channel;
    if (ch == null) {
      discardQueued();
      return;
    }
    sender.ch = ch;
    while (!egress.isEmpty() && egress.drain(sender, 4096) > 0) {
      ch.flush();
    }
    reportUnsent(PortCounter.DROP_SEND_ERROR);
  }

  @Override
  public boolean isLinkUp() {
    return channel != null;
  }

  @Override
  public String describe() {
    return (channel != null ? "bound" : "closed")
        + (isIngressPaused() ? ", paused by backpressure" : "");
  }

  @Override
  public void close() {
    Channel ch = channel;
    channel = null;
    if (ch != null) {
      ch.close().syncUninterruptibly();
    }
    if (unix) {
      UnixSocketFiles.removeQuietly(Path.of(spec.address().path()));
    }
    if (!loop.isShuttingDown()) {
      loop.execute(this::discardQueued);
    }
  }
}
