package org.vccp.vnet.ring;

/**
 * One preallocated entry of the {@link FrameRing}: either a frame that entered the switch or a
 * control command that must take effect at a precise point in the frame sequence.
 *
 * <p>The frame bytes live in {@link #data}, an array allocated once with the ring's inline size and
 * grown (once, to at most the maximum frame size) the first time a larger frame lands in this slot;
 * steady traffic therefore allocates nothing. Consumers after the forwarder (the recorder) read the
 * forwarder's decision from {@link #egressPorts}, {@link #egressCount} and {@link #dropReason}.
 */
public final class FrameSlot {
  public static final int KIND_FRAME = 0;
  public static final int KIND_COMMAND = 1;

  /** No drop: the frame was forwarded (or filtered) normally. */
  public static final int NOT_DROPPED = -1;

  public int kind;
  public int ingressPortId;
  public int length;
  public long receivedNs;
  public byte[] data;

  public Object command;

  public int vlanId;
  public int dropReason = NOT_DROPPED;
  public int[] egressPorts;
  public int egressCount;

  public FrameSlot(int inlineBytes, int maxPorts) {
    this.data = new byte[inlineBytes];
    this.egressPorts = new int[maxPorts];
  }

  /** Makes {@link #data} able to hold {@code bytes}, growing it at most once per size class. */
  public byte[] ensureCapacity(int bytes) {
    if (data.length < bytes) {
      data = new byte[Math.max(bytes, Math.min(data.length * 2, FrameRing.MAX_FRAME_BYTES))];
    }
    return data;
  }
}
