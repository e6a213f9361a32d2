package org.vccp.vnet.port;

import io.netty.buffer.ByteBuf;

/** Where a port hands each whole frame it receives; the bytes are valid only during the call. */
@FunctionalInterface
public interface IngressSink {
  void onFrame(ByteBuf buffer, int index, int length);
}
