package org.vccp.vnet.port;

import io.netty.buffer.ByteBuf;

/** Where a port hands each whole frame it receives; the bytes are valid only during the call. */
@FunctionalInterface
public interface IngressSink {
  void onFrame(ByteBuf buffer, int index, int length);

  /**
   * The whole frames of one read, in order: frame {@code i} is {@code lengths[i]} bytes at {@code
   * indexes[i]}. A sink that can take them at once (one ring claim and one consumer wake-up for the
   * lot) overrides this; by default each goes to {@link #onFrame}.
   */
  default void onFrames(ByteBuf buffer, int[] indexes, int[] lengths, int count) {
    for (int i = 0; i < count; i++) {
      onFrame(buffer, indexes[i], lengths[i]);
    }
  }
}
