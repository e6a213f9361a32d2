package org.vccp.vnet.port.stream;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.handler.codec.DecoderException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vccp.vnet.port.BadFrameException;
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
 * A port speaking QEMU's {@code -netdev stream} framing over a Unix or TCP stream socket, in either
 * direction: it listens for one guest (QEMU {@code server=off}), or dials a listening guest (QEMU
 * {@code server=on}) and redials whenever the connection drops — which is what lets the switch
 * restart under running QEMU 7.2 guests, whose stream clients never reconnect.
 *
 * <p>Everything the port does runs on one event loop: accepting, reading (frames go straight from
 * Netty's read buffer into ring slots), and draining the egress queue into one outgoing buffer per
 * write; except that at low load the thread that forwarded a few frames writes them itself ({@link
 * DirectSend}), sparing a wake-up of the loop. A malformed length closes only this connection; a
 * listening port then accepts its guest again.
 */
public final class StreamPort extends SocketPort {
  private static final Logger LOG = LoggerFactory.getLogger(StreamPort.class);
  private static final int CHUNK_BYTES = 64 * 1024;
  private static final WriteBufferWaterMark WATER_MARK =
      new WriteBufferWaterMark(256 << 10, 512 << 10);

  private final long redialMs;
  private final long waitingPeerMs;

  /** Frames handed to the channel whose write has not completed yet, oldest first. */
  private final UnsentFrames writing = new UnsentFrames();

  private final StreamFrameWriter writer = new StreamFrameWriter(writing);

  /** Netty writes not completed yet; written by the event loop only. */
  private volatile int nettyWrites;

  private final DirectSend direct;

  /** Frames and frame bytes of a direct send's rest, as the loop takes it over. Event loop. */
  private final long[] restTaken = new long[2];

  /**
   * Bytes the loop's drain has taken from the queue and not yet given to Netty ({@link
   * #takenBytes}).
   */
  private volatile int drainingBytes;

  private volatile Channel server;
  private volatile Channel active;

  /** A peer that connected while {@link #active} was still there. Event loop only. */
  private Channel waiting;

  private volatile boolean closed;
  private volatile String lastDialError;

  public StreamPort(
      int id,
      PortSpec spec,
      PortIo io,
      FrameRing ring,
      int maxFrameBytes,
      int egressQueueBytes,
      long redialMs,
      long waitingPeerMs) {
    super(id, spec, io, ring, maxFrameBytes, egressQueueBytes);
    this.direct = new DirectSend(egress, counters, () -> nettyWrites);
    this.redialMs = redialMs;
    this.waitingPeerMs = waitingPeerMs;
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
        // only the peer holding the port feeds the ring: Netty reads a waiting peer's bytes too
        // when it sees its end of stream, whatever autoRead says
        ch.pipeline()
            .addLast(
                "frames",
                new StreamFrameDecoder(
                    maxFrameBytes,
                    (buf, indexes, lengths, count) -> {
                      if (ch == active) {
                        onFrames(buf, indexes, lengths, count);
                      }
                    }))
            .addLast("port", new PeerHandler());
      }
    };
  }

  /** Each read's frames enter the ring together: one claim and one forwarder wake-up. */
  private void onFrames(ByteBuf buf, int[] indexes, int[] lengths, int count) {
    long bytes = 0;
    for (int i = 0; i < count; i++) {
      bytes += lengths[i];
    }
    counters.add(PortCounter.RX_FRAMES, count);
    counters.add(PortCounter.RX_BYTES, bytes);
    ring.publishFrames(id, buf, indexes, lengths, count);
  }

  /** Connection life cycle and errors for the one peer this port serves. */
  private final class PeerHandler extends ChannelInboundHandlerAdapter {
    /**
     * A peer that connects while the port still has one waits (reading nothing) until that one
     * leaves, rather than being refused: a restored guest often connects before the switch has read
     * the end of its killed predecessor's stream, and a QEMU client never redials. (Netty's epoll
     * channel sees a peer's end of stream even while backpressure has reading off.) A third peer is
     * refused, and so is the waiting one if the current one is still there after {@code
     * waitingPeerMs}: then it is not a successor but a second guest on the same socket.
     */
    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      Channel ch = ctx.channel();
      if (closed || (active != null && waiting != null)) {
        LOG.warn(
            "port {}: refusing another peer {}; the port already has one and one waiting",
            spec.name(),
            ch.remoteAddress());
        ch.close();
        return;
      }
      if (active != null) {
        waiting = ch;
        ch.config().setAutoRead(false);
        LOG.warn(
            "port {}: a second peer connected; it waits until the current one leaves", spec.name());
        ch.eventLoop()
            .schedule(
                () -> {
                  if (waiting == ch) {
                    waiting = null;
                    LOG.warn(
                        "port {}: closing the waiting peer {}: the current one is still there"
                            + " after {} ms (two guests on one port? give each its own port)",
                        spec.name(),
                        ch.remoteAddress(),
                        waitingPeerMs);
                    ch.close();
                  }
                },
                waitingPeerMs,
                TimeUnit.MILLISECONDS);
        return;
      }
      becomeActive(ch);
    }

    private void becomeActive(Channel ch) {
      direct.attach(ch);
      active = ch;
      lastDialError = null;
      counters.incrementShared(PortCounter.CONNECTS);
      applyIngressState(ch);
      LOG.info("port {}: peer connected on {}", spec.name(), spec.address());
      drainNow();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (ctx.channel() == waiting) {
        waiting = null;
        return;
      }
      if (ctx.channel() != active) {
        return;
      }
      active = null;
      counters.incrementShared(PortCounter.DISCONNECTS);
      int lost = discardAll();
      LOG.info(
          "port {}: peer disconnected{}",
          spec.name(),
          lost > 0 ? " (" + lost + " queued frames dropped)" : "");
      fireWritableSignalIfRoom();
      Channel next = waiting;
      if (next != null) {
        waiting = null;
        if (closed) {
          next.close();
        } else {
          becomeActive(next);
        }
      } else if (spec.mode() == PortSpec.Mode.CONNECT) {
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

  /** Small batches go out from the forwarding thread ({@link DirectSend}). */
  @Override
  protected boolean sendDirect() {
    return direct.trySend();
  }

  @Override
  protected long takenBytes() {
    return direct.pendingBytes() + drainingBytes;
  }

  /**
   * Gives up everything not yet handed to Netty, the rest of a direct send first (the oldest),
   * counting it as {@code drop_no_port} and reporting it to the recording. Event loop only.
   */
  private int discardAll() {
    int lost = direct.detach(unsent); // no direct send runs after this
    return lost + discardQueued(); // which reports both
  }

  @Override
  protected void drain() {
    Channel ch = active;
    if (ch == null) {
      discardAll();
      return;
    }
    ReentrantLock lock = direct.lock();
    if (!lock.tryLock()) {
      // a forwarding thread is writing, for one write: come back rather than hold up the loop
      drainLater();
      return;
    }
    try {
      drain(ch);
    } finally {
      lock.unlock();
    }
  }

  private void drain(Channel ch) {
    boolean wrote = false;
    if (direct.hasRest()) {
      // the part of a direct send the socket did not take goes first
      ByteBuf out = ch.alloc().directBuffer(direct.restBytes());
      direct.takeRest(out, writing, restTaken);
      write(ch, out, (int) restTaken[0], restTaken[1]);
      direct.handedOver();
      wrote = true;
    }
    while (ch.isWritable() && !egress.isEmpty()) {
      ByteBuf out = ch.alloc().directBuffer(CHUNK_BYTES);
      drainingBytes = egress.bytesQueued();
      egress.drain(writer.reset(out), Integer.MAX_VALUE);
      int frames = writer.frames();
      if (frames == 0) {
        drainingBytes = 0;
        out.release();
        break;
      }
      write(ch, out, frames, writer.bytes());
      drainingBytes = 0;
      wrote = true;
    }
    if (wrote) {
      ch.flush();
    }
  }

  /**
   * Hands one buffer of {@code frames} frames to Netty; writes complete in order. Send lock held.
   */
  private void write(Channel ch, ByteBuf out, int frames, long bytes) {
    nettyWrites++;
    ch.write(out)
        .addListener(
            f -> {
              nettyWrites--;
              // writes complete in order, so each one's frames are the oldest in writing
              if (f.isSuccess()) {
                writing.skip(frames);
                counters.addShared(PortCounter.TX_FRAMES, frames);
                counters.addShared(PortCounter.TX_BYTES, bytes);
              } else {
                writing.moveTo(unsent, frames);
                counters.addShared(PortCounter.DROP_NO_PORT, frames);
                reportUnsent(PortCounter.DROP_NO_PORT);
              }
            });
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
      loop.execute(this::discardAll);
    }
  }
}
