package org.vccp.vnet.port.stream;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.AbstractEpollStreamChannel;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.handler.codec.DecoderException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vccp.vnet.port.BadFrameException;
import org.vccp.vnet.port.IngressSink;
import org.vccp.vnet.port.PortAddress;
import org.vccp.vnet.port.PortBindException;
import org.vccp.vnet.port.PortIo;
import org.vccp.vnet.port.PortSpec;
import org.vccp.vnet.port.SocketPort;
import org.vccp.vnet.port.UnixSocketFiles;
import org.vccp.vnet.ring.FrameRing;
import org.vccp.vnet.status.PortCounter;

/**
 * A port speaking QEMU's {@code -netdev stream} framing over a Unix or TCP stream socket, in either
 * direction: it listens for one guest (QEMU {@code server=off}), or dials a listening guest (QEMU
 * {@code server=on}) and redials whenever the connection drops — which is what lets the switch
 * restart under running QEMU 7.2 guests, whose stream clients never reconnect.
 *
 * <p>Everything the port does runs on one event loop: accepting, reading (frames go straight from
 * Netty's read buffer into ring slots), and draining the egress queue into one outgoing buffer per
 * write. A malformed length closes only this connection; a listening port then accepts its guest
 * again.
 */
public final class StreamPort extends SocketPort {
  private static final Logger LOG = LoggerFactory.getLogger(StreamPort.class);
  private static final int CHUNK_BYTES = 64 * 1024;

  /**
   * The forwarder writes directly only this much: a light load's few frames, where the hand-off to
   * the I/O thread is most of the latency. A heavy load's full queue is written by the I/O thread,
   * which at maximum rate has the time the forwarder lacks (measured: with no limit, 1→1 1500 B
   * fell from about 1.1 M to 0.65 M frames/s).
   */
  private static final int DIRECT_MAX_BYTES = 8 * 1024;

  private static final WriteBufferWaterMark WATER_MARK =
      new WriteBufferWaterMark(256 << 10, 512 << 10);

  private final long redialMs;
  private final StreamFrameWriter writer = new StreamFrameWriter();

  private volatile Channel server;
  private volatile Channel active;

  /** The forwarder's encoding buffer for {@link #writeDirect()}; forwarder thread only. */
  private final ByteBuf directOut = Unpooled.directBuffer(CHUNK_BYTES);

  private final StreamFrameWriter directWriter = new StreamFrameWriter();

  /**
   * What a direct write could not finish (the socket took part of it), with its frame and byte
   * counts: the next drain writes it before anything else. Set by the forwarder, taken by the event
   * loop, each while holding the egress queue.
   */
  private volatile Carry carry;

  private record Carry(ByteBuf rest, int frames, long bytes) {}

  private volatile boolean closed;
  private volatile String lastDialError;

  public StreamPort(
      int id,
      PortSpec spec,
      PortIo io,
      FrameRing ring,
      int maxFrameBytes,
      int egressQueueBytes,
      long redialMs) {
    super(id, spec, io, ring, maxFrameBytes, egressQueueBytes);
    this.redialMs = redialMs;
  }

  @Override
  protected Channel dataChannel() {
    return active;
  }

  /** Binds (listen) or starts dialing (connect). Returns once a listening socket is bound. */
  @Override
  public void open() {
    if (spec.mode() == PortSpec.Mode.LISTEN) {
      listen();
    } else {
      dial();
    }
  }

  private void listen() {
    PortAddress a = spec.address();
    boolean unix = a.scheme() == PortAddress.Scheme.UNIX;
    if (unix) {
      UnixSocketFiles.prepareForListen("port " + spec.name(), Path.of(a.path()));
    }
    ServerBootstrap b =
        new ServerBootstrap()
            .group(loop, loop)
            .channel(unix ? EpollServerDomainSocketChannel.class : EpollServerSocketChannel.class)
            .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
            .childHandler(initializer());
    if (!unix) {
      b.option(ChannelOption.SO_REUSEADDR, true);
    }
    ChannelFuture f = b.bind(PortIo.socketAddress(a)).awaitUninterruptibly();
    if (!f.isSuccess()) {
      throw new PortBindException(
          "port " + spec.name() + ": cannot listen on " + a + ": " + rootMessage(f.cause()),
          f.cause());
    }
    server = f.channel();
    LOG.info("port {}: listening on {}", spec.name(), a);
  }

  private void dial() {
    if (closed) {
      return;
    }
    PortAddress a = spec.address();
    boolean unix = a.scheme() == PortAddress.Scheme.UNIX;
    Bootstrap b =
        new Bootstrap()
            .group(loop)
            .channel(unix ? EpollDomainSocketChannel.class : EpollSocketChannel.class)
            .option(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
            .handler(initializer());
    b.connect(PortIo.socketAddress(a))
        .addListener(
            (ChannelFuture f) -> {
              if (!f.isSuccess()) {
                String why = rootMessage(f.cause());
                if (!why.equals(lastDialError)) {
                  LOG.info(
                      "port {}: waiting for guest at {} ({}); redialing every {} ms",
                      spec.name(),
                      a,
                      why,
                      redialMs);
                  lastDialError = why;
                }
                scheduleRedial();
              }
            });
  }

  private void scheduleRedial() {
    if (!closed) {
      loop.schedule(this::dial, redialMs, TimeUnit.MILLISECONDS);
    }
  }

  private ChannelInitializer<Channel> initializer() {
    return new ChannelInitializer<>() {
      @Override
      protected void initChannel(Channel ch) {
        ch.pipeline()
            .addLast("frames", new StreamFrameDecoder(maxFrameBytes, ingress))
            .addLast("port", new PeerHandler());
      }
    };
  }

  /** Each read's frames enter the ring together: one claim and one forwarder wake-up. */
  private final IngressSink ingress =
      new IngressSink() {
        @Override
        public void onFrame(ByteBuf buf, int index, int length) {
          counters.increment(PortCounter.RX_FRAMES);
          counters.add(PortCounter.RX_BYTES, length);
          ring.publishFrame(id, buf, index, length);
        }

        @Override
        public void onFrames(ByteBuf buf, int[] indexes, int[] lengths, int count) {
          long bytes = 0;
          for (int i = 0; i < count; i++) {
            bytes += lengths[i];
          }
          counters.add(PortCounter.RX_FRAMES, count);
          counters.add(PortCounter.RX_BYTES, bytes);
          ring.publishFrames(id, buf, indexes, lengths, count);
        }
      };

  /** Connection life cycle and errors for the one peer this port serves. */
  private final class PeerHandler extends ChannelInboundHandlerAdapter {
    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      Channel ch = ctx.channel();
      if (active != null || closed) {
        LOG.warn(
            "port {}: refusing a second peer {}; the port already has one",
            spec.name(),
            ch.remoteAddress());
        ch.close();
        return;
      }
      active = ch;
      lastDialError = null;
      counters.incrementShared(PortCounter.CONNECTS);
      applyIngressState(ch);
      LOG.info("port {}: peer connected on {}", spec.name(), spec.address());
      drainNow();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (ctx.channel() != active) {
        return;
      }
      active = null;
      counters.incrementShared(PortCounter.DISCONNECTS);
      int lost = discardQueued();
      LOG.info(
          "port {}: peer disconnected{}",
          spec.name(),
          lost > 0 ? " (" + lost + " queued frames dropped)" : "");
      fireWritableSignalIfRoom();
      if (spec.mode() == PortSpec.Mode.CONNECT) {
        scheduleRedial();
      }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      if (ctx.channel().isWritable()) {
        drainNow();
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      Throwable c =
          cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
      if (c instanceof BadFrameException bad) {
        counters.increment(bad.reason());
        LOG.warn(
            "port {}: closing connection: {} (value {})",
            spec.name(),
            bad.getMessage(),
            bad.value());
      } else {
        LOG.info("port {}: closing connection: {}", spec.name(), rootMessage(c));
      }
      ctx.close();
    }
  }

  /**
   * Forwarder: if the queue holds at most {@link #DIRECT_MAX_BYTES} and the connection has nothing
   * pending in Netty and nothing carried over, encodes the queue and writes it with one
   * non-blocking {@code write} on the socket. This saves the wake-up of the I/O thread, one of
   * three thread hand-offs per frame. A short write leaves the rest as {@link #carry} for the event
   * loop, which writes it first.
   */
  @Override
  protected boolean writeDirect() {
    Channel ch = active;
    if (!(ch instanceof AbstractEpollStreamChannel epoll)
        || egress.bytesQueued() > DIRECT_MAX_BYTES
        || !ch.isActive()
        || carry != null) {
      return false;
    }
    ChannelOutboundBuffer pending = ch.unsafe().outboundBuffer();
    if (pending == null || pending.totalPendingWriteBytes() != 0) {
      return false;
    }
    ByteBuf out = directOut.clear();
    egress.drain(directWriter.reset(out), Integer.MAX_VALUE);
    int frames = directWriter.frames();
    if (frames == 0) {
      return egress.isEmpty();
    }
    int len = out.readableBytes();
    int written;
    try {
      java.nio.ByteBuffer nio = out.internalNioBuffer(0, len);
      written = epoll.fd().write(nio, nio.position(), nio.limit());
    } catch (java.io.IOException e) {
      written = 0; // the event loop's write meets the same error and closes the connection
    }
    if (written == len) {
      counters.addShared(PortCounter.TX_FRAMES, frames);
      counters.addShared(PortCounter.TX_BYTES, directWriter.bytes());
      return egress.isEmpty();
    }
    ByteBuf rest = ch.alloc().directBuffer(len - written);
    rest.writeBytes(out, written, len - written);
    carry = new Carry(rest, frames, directWriter.bytes());
    return false;
  }

  @Override
  protected void drain() {
    Channel ch = active;
    Carry c = carry;
    if (c != null) {
      carry = null;
      if (ch == null) {
        c.rest().release();
        counters.addShared(PortCounter.DROP_NO_PORT, c.frames());
      } else {
        ch.write(c.rest()).addListener(f -> countWrite(f.isSuccess(), c.frames(), c.bytes()));
      }
    }
    if (ch == null) {
      discardQueued();
      return;
    }
    boolean wrote = c != null;
    while (ch.isWritable() && !egress.isEmpty()) {
      ByteBuf out = ch.alloc().directBuffer(CHUNK_BYTES);
      egress.drain(writer.reset(out), Integer.MAX_VALUE);
      int frames = writer.frames();
      long bytes = writer.bytes();
      if (frames == 0) {
        out.release();
        break;
      }
      ch.write(out).addListener(f -> countWrite(f.isSuccess(), frames, bytes));
      wrote = true;
    }
    if (wrote) {
      ch.flush();
    }
  }

  /** Event loop: counts a write of {@code frames} as sent, or as lost with the peer. */
  private void countWrite(boolean success, int frames, long bytes) {
    if (success) {
      counters.addShared(PortCounter.TX_FRAMES, frames);
      counters.addShared(PortCounter.TX_BYTES, bytes);
    } else {
      counters.addShared(PortCounter.DROP_NO_PORT, frames);
    }
  }

  private static String rootMessage(Throwable t) {
    Throwable c = t;
    while (c.getCause() != null && c.getCause() != c) {
      c = c.getCause();
    }
    String m = c.getMessage();
    if (c instanceof java.io.FileNotFoundException && m == null) {
      return "no socket there yet";
    }
    return m == null ? c.getClass().getSimpleName() : m;
  }

  @Override
  public boolean isLinkUp() {
    return active != null;
  }

  @Override
  public String describe() {
    Channel ch = active;
    String state =
        ch != null
            ? "connected"
            : spec.mode() == PortSpec.Mode.LISTEN ? "waiting for guest" : "dialing";
    return state + (isIngressPaused() ? ", paused by backpressure" : "");
  }

  @Override
  public void close() {
    closed = true;
    Channel s = server;
    if (s != null) {
      s.close().syncUninterruptibly();
      if (spec.address().scheme() == PortAddress.Scheme.UNIX) {
        UnixSocketFiles.removeQuietly(Path.of(spec.address().path()));
      }
    }
    Channel ch = active;
    if (ch != null) {
      ch.close().syncUninterruptibly();
    }
    if (!loop.isShuttingDown()) {
      loop.execute(
          () -> {
            discard(false);
            Carry c = carry;
            if (c != null) {
              carry = null;
              c.rest().release();
            }
            directOut.release();
          });
    }
  }
}
