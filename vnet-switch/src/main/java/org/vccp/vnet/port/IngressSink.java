package org.vccp.vnet.port;

import io.netty.buffer.ByteBuf;

/** Where a port hands the whole frames it receives; the bytes are valid only during the call. */
@FunctionalInterface
public interface IngressSink {
  /**
   * The whole frames of one read, in order: frame {@code i} is {@code lengths[i]} bytes at {@code
   * indexes[i]}. Given together so that they can enter the ring with one claim and one consumer
   * wake-up.
   */
  void onFrames(ByteBuf buffer, int[] indexes, int[] lengths, int count);
}
