package org.vccp.vnet.port;

import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * The I/O threads that socket ports run on (Netty, native epoll). Each port is pinned to one event
 * loop for its lifetime, so its connection, its egress drain and its ingress counters all have a
 * single thread.
 */
public final class PortIo implements AutoCloseable {
  private final EventLoopGroup group;

  public PortIo(int threads) {
    if (!Epoll.isAvailable()) {
      throw new IllegalStateException(
          "native epoll transport is unavailable ("
              + Epoll.unavailabilityCause()
              + "); VCCP needs Linux on x86-64");
    }
    this.group =
        new MultiThreadIoEventLoopGroup(
            threads, new DefaultThreadFactory("vccp-io", true), EpollIoHandler.newFactory());
  }

  public EventLoop nextLoop() {
    return group.next();
  }

  public EventLoopGroup group() {
    return group;
  }

  public static SocketAddress socketAddress(PortAddress a) {
    return switch (a.scheme()) {
      case UNIX -> new DomainSocketAddress(a.path());
      case TCP, UDP -> new InetSocketAddress(a.host(), a.port());
    };
  }

  @Override
  public void close() {
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
  }
}
