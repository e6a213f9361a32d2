package org.vccp.vnet.port;

import io.netty.channel.Channel;

/**
 * What the kernel still holds in a socket's send queue (bytes the peer has not read). Netty does
 * not expose {@code SIOCOUTQ}; until a native call is wired in, this reports 0 and callers rely on
 * the switch-side queues only.
 */
public final class SocketQueues {
  private SocketQueues() {}

  /** Bytes in the channel's kernel send queue, or 0 when unknown. */
  public static long sendQueueBytes(Channel ch) {
    return 0;
  }
}
