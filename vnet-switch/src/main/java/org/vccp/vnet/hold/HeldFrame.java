package org.vccp.vnet.hold;

/**
 * A frame waiting in a port's hold queue, exactly as it will leave that port (already re-tagged).
 *
 * @param packetId the frame's ingress id in the recording of the run that held it
 * @param origin name of the port it came in on
 * @param epoch the checkpoint epoch during which it was held
 * @param replayed true when it was loaded from a checkpoint's channel state (a restore)
 * @param frame the bytes, exactly the frame's length
 */
public record HeldFrame(long packetId, String origin, long epoch, boolean replayed, byte[] frame) {}
