package org.vccp.vnet.status;

/**
 * Per-port counters with fixed ids. Ingress counters have a single writer, the port's I/O thread;
 * egress decisions are written by the forwarder; transmissions by whichever thread writes to the
 * peer (a stream port's loop, or at low load the forwarding thread), with atomic adds.
 */
public enum PortCounter {
  RX_FRAMES(0, "rx_frames", "Frames received from the peer and accepted into the ring"),
  RX_BYTES(1, "rx_bytes", "Bytes of frames received (Ethernet frame bytes, no length prefix)"),
  TX_FRAMES(2, "tx_frames", "Frames written to the peer"),
  TX_BYTES(3, "tx_bytes", "Bytes of frames written to the peer"),
  DROP_MALFORMED_LENGTH(4, "drop_malformed_length", "Stream length prefix of zero"),
  DROP_RUNT(5, "drop_runt", "Frame shorter than an Ethernet header (14 bytes)"),
  DROP_OVERSIZE(6, "drop_oversize", "Frame longer than the maximum frame size"),
  DROP_CONGESTION(7, "drop_congestion", "Egress queue full: tail-dropped"),
  DROP_VLAN(8, "drop_vlan", "Frame not allowed on this port's VLAN configuration"),
  DROP_NO_PORT(9, "drop_no_port", "Egress port has no connected peer, or was removed"),
  DROP_MULTICAST_SOURCE(10, "drop_multicast_source", "Frame with a multicast source MAC"),
  CONNECTS(11, "connects", "Peer connections established"),
  DISCONNECTS(12, "disconnects", "Peer connections closed or lost"),
  BACKPRESSURE(13, "backpressure", "Times this lossless port paused its senders"),
  DROP_GSO(
      14,
      "drop_gso",
      "Captured frame longer than the interface MTU + 18: a GSO/GRO super-frame from an"
          + " interface with offloads on (ethtool -K IF tx off tso off gso off gro off, or"
          + " attach it with pcap=IF,offload); or a super-frame whose offload the switch"
          + " cannot resolve for this port (UDP fragmentation, non-IP)"),
  DROP_SEND_ERROR(
      15,
      "drop_send_error",
      "The interface or socket refused a frame (e.g. EMSGSIZE above its MTU, the peer's"
          + " datagram socket gone)"),
  DROP_KERNEL(
      16, "drop_kernel", "Frames the kernel dropped before the capture read them (pcap stats)"),
  HELD_FRAMES(17, "held_frames", "Frames queued in this port's hold queue (checkpoint)"),
  HELD_BYTES(18, "held_bytes", "Bytes of frames queued in this port's hold queue"),
  RELEASED_FRAMES(19, "released_frames", "Held frames written out after release, in order"),
  HOLD_SPILLED_FRAMES(20, "hold_spilled_frames", "Held frames that went to the spill file"),
  OFFLOAD_SEGMENTS(
      21,
      "offload_segments",
      "Frames the switch cut from super-frames (GSO) or finished the checksum of, for this port,"
          + " whose peer takes no offloads"),
  TX_DIRECT_FRAMES(
      22,
      "tx_direct_frames",
      "Frames of tx_frames written by the thread that forwarded them, without waking the port's"
          + " I/O thread (stream ports, at low load)");

  private final int id;
  private final String metricName;
  private final String description;

  PortCounter(int id, String metricName, String description) {
    this.id = id;
    this.metricName = metricName;
    this.description = description;
  }

  public int id() {
    return id;
  }

  public String metricName() {
    return metricName;
  }

  public String description() {
    return description;
  }

  private static final PortCounter[] BY_ID = new PortCounter[values().length];

  static {
    for (PortCounter c : values()) {
      BY_ID[c.id] = c;
    }
  }

  /** The counter with this id. */
  public static PortCounter byId(int id) {
    return BY_ID[id];
  }

  /** True for counters that count dropped frames. */
  public boolean isDrop() {
    return metricName.startsWith("drop_");
  }
}
