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

  /**
   * A frame refused before forwarding (e.g. a runt datagram): {@link #dropReason} is already set;
   * the forwarder ignores it and the recorder writes it as a drop.
   */
  public static final int KIND_DROPPED = 2;

  /**
   * Nothing: a claimed slot that an exception left unfilled (the ring must publish every slot it
   * hands out). Every consumer skips it.
   */
  public static final int KIND_EMPTY = 3;

  /** {@link #egressEdits} value: the frame leaves as it came in. */
  public static final int EDIT_NONE = 0xFFFF;

  /** {@link #egressEdits} bit: the ingress VLAN tag is removed. */
  public static final int EDIT_STRIP = 1 << 16;

  /** {@link #egressEdits} bit: the frame went to the port's hold queue, not to its socket. */
  public static final int EDIT_HELD = 1 << 17;

  /** No drop: the frame was forwarded (or filtered) normally. */
  public static final int NOT_DROPPED = -1;

  public int kind;
  public int ingressPortId;
  public int length;

  /** {@link System#nanoTime()} when the frame was claimed, set only while recording. */
  public long receivedNs;

  /** {@link System#nanoTime()} at the start of the forwarder's batch that handled this slot. */
  public long forwardedNs;

  public byte[] data;

  /**
   * What the frame still owes the network ({@link org.vccp.vnet.frame.Offload}): 0 for a plain
   * frame; set only by ports whose interface hands over offloaded super-frames.
   */
  public long offload;

  public Object command;

  public int vlanId;
  public int dropReason = NOT_DROPPED;
  public int[] egressPorts;

  /**
   * Per egress port, how the frame was re-tagged: {@link #EDIT_NONE}, or the TCI inserted (low 16
   * bits, {@code EDIT_NONE} when none) plus {@link #EDIT_STRIP} when the ingress tag was removed.
   */
  public int[] egressEdits;

  public int egressCount;

  /** Egress ports that refused the frame, with the {@code PortCounter} id of each reason. */
  public int[] droppedPorts;

  public int[] droppedReasons;
  public int droppedCount;

  /**
   * Held frames this command slot wrote out of {@link #releasedPort}'s hold queue, for the
   * recorder; null when none.
   */
  public java.util.List<org.vccp.vnet.hold.HeldFrame> released;

  public int releasedPort;

  /**
   * The packet id of the first replayed frame in {@link #released}; the next replayed frames have
   * the ids after it. The forwarder numbers them, since the egress queue carries each frame's id.
   */
  public long releasedFirstReplayId;

  /** Bit 62 marks the packet ids of replayed frames, apart from a run's ingress ids. */
  public static final long REPLAY_ID_BIT = 1L << 62;

  /** Egress entries a slot starts with; it grows (once per doubling, up to the ports) on floods. */
  static final int INITIAL_EGRESS = 8;

  /**
   * The per-port arrays start small and next to the slot, the frame bytes after them: sized for
   * every port (256) they made each slot 6 KiB, most of it never touched, so consecutive slots sat
   * on different pages.
   */
  public FrameSlot(int inlineBytes, int maxPorts) {
    int n = Math.max(1, Math.min(INITIAL_EGRESS, maxPorts));
    this.egressPorts = new int[n];
    this.egressEdits = new int[n];
    this.droppedPorts = new int[n];
    this.droppedReasons = new int[n];
    this.data = new byte[inlineBytes];
  }

  /** Adds an egress event: the frame goes (or is held) for {@code portId} with {@code edit}. */
  public void addEgress(int portId, int edit) {
    if (egressCount == egressPorts.length) {
      egressPorts = java.util.Arrays.copyOf(egressPorts, egressCount * 2);
      egressEdits = java.util.Arrays.copyOf(egressEdits, egressCount * 2);
    }
    egressEdits[egressCount] = edit;
    egressPorts[egressCount++] = portId;
  }

  /** Adds a port that refused the frame, with the {@code PortCounter} id of the reason. */
  public void addDropped(int portId, int reason) {
    if (droppedCount == droppedPorts.length) {
      droppedPorts = java.util.Arrays.copyOf(droppedPorts, droppedCount * 2);
      droppedReasons = java.util.Arrays.copyOf(droppedReasons, droppedCount * 2);
    }
    droppedReasons[droppedCount] = reason;
    droppedPorts[droppedCount++] = portId;
  }

  /**
   * Copies {@code len} bytes of frame {@code f} into {@code dst} as it leaves a port with {@code
   * edit} (an {@link #egressEdits} value) and returns the new length. {@code dst} needs {@code len
   * + 4} bytes.
   */
  public static int applyEdit(byte[] f, int len, int edit, byte[] dst) {
    if ((edit & 0x1FFFF) == EDIT_NONE) {
      System.arraycopy(f, 0, dst, 0, len);
      return len;
    }
    System.arraycopy(f, 0, dst, 0, 12);
    int from = 12;
    int to = 12;
    if ((edit & EDIT_STRIP) != 0) {
      from += 4;
    }
    int tci = edit & 0xFFFF;
    if (tci != EDIT_NONE) {
      dst[to++] = (byte) 0x81;
      dst[to++] = 0x00;
      dst[to++] = (byte) (tci >>> 8);
      dst[to++] = (byte) tci;
    }
    System.arraycopy(f, from, dst, to, len - from);
    return to + len - from;
  }

  /** Makes {@link #data} able to hold {@code bytes}, growing it at most once per size class. */
  public byte[] ensureCapacity(int bytes) {
    if (data.length < bytes) {
      data = new byte[Math.max(bytes, Math.min(data.length * 2, FrameRing.MAX_FRAME_BYTES))];
    }
    return data;
  }
}
