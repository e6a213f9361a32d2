package org.vccp.vnet.hold;

/**
 * A frame waiting in a port's hold queue, exactly as it will leave that port (already re-tagged).
 *
 * @param packetId the frame's ingress id in the recording of the run that held it
 * @param origin name of the port it came in on
 * @param epoch the checkpoint epoch during which it was held
 * @param replayed true when it was loaded from a checkpoint's channel state (a restore)
 * @param frame the bytes, exactly the frame's length
 * @param offload the work the frame still owes ({@link org.vccp.vnet.frame.Offload}), 0 for none
 */
public record HeldFrame(
    long packetId, String origin, long epoch, boolean replayed, byte[] frame, long offload) {

  /** A plain frame. */
  public HeldFrame(long packetId, String origin, long epoch, boolean replayed, byte[] frame) {
    this(packetId, origin, epoch, replayed, frame, 0L);
  }
}
