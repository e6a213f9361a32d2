package org.vccp.vnet.ring;

import com.lmax.disruptor.EventHandler;

/**
 * A consumer after the forwarder that needs the frame slots only some of the time (the recorder,
 * while recording); the rest of the time it is handed only the command slots.
 */
public interface TrailingConsumer extends EventHandler<FrameSlot> {
  /** Whether the next slots should all be handed over; asked on the consumer's own thread. */
  boolean wantsFrames();
}
