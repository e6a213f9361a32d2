package org.vccp.qemu.qmp;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;

/**
 * The one I/O thread every QMP connection of this JVM runs on (Netty, native epoll, daemon). QMP
 * traffic is a few small messages per command, so one thread serves hundreds of guests, and it is
 * never a switch port thread: control stays responsive however busy the data path is.
 */
final class QmpIo {

  private static EventLoopGroup group;

  private QmpIo() {}

  static synchronized EventLoopGroup group() {
    if (group == null) {
      if (!Epoll.isAvailable()) {
        throw new IllegalStateException(
            "native epoll transport is unavailable ("
                + Epoll.unavailabilityCause()
                + "); the QMP client needs Linux on x86-64");
      }
      group =
          new MultiThreadIoEventLoopGroup(
              1, new DefaultThreadFactory("vccp-qmp-io", true), EpollIoHandler.newFactory());
    }
    return group;
  }
}
