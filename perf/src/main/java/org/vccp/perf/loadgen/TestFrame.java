package org.vccp.perf.loadgen;

import java.nio.ByteBuffer;

/**
 * Flyweight accessors for the generator's frames, read and written in place in a {@link ByteBuffer}
 * so that no object exists per frame.
 *
 * <pre>
 *  stream prefix (not part of the frame, not counted in frameBytes)
 *   -4  length             u32 big-endian, = frameBytes
 *  Ethernet frame, offsets from its first byte
 *    0  destination MAC    6 bytes; a receiver's MAC, or ff:ff:ff:ff:ff:ff for hello
 *    6  source MAC         6 bytes; the sending port's MAC
 *   12  ethertype          u16 0x88B5 (IEEE local experimental)
 *   14  kind               u8  1 = data, 2 = hello
 *   15  reserved           u8  0
 *   16  port index         u32 sender index for data, receiver's port index for hello
 *   20  sequence           u64 per (sender, receiver), from 0
 *   28  timestamp          u64 System.nanoTime() at send, or the intended send time when paced
 *   36  padding            zero up to frameBytes
 * </pre>
 *
 * <p>Port {@code i} owns the locally administered unicast MAC {@code 02:76:63:70:ii:ii}.
 */
public final class TestFrame {
  public static final int PREFIX_BYTES = 4;
  public static final int ETHERTYPE = 0x88B5;
  public static final byte KIND_DATA = 1;
  public static final byte KIND_HELLO = 2;
  public static final int HEADER_BYTES = 36;

  public static final int DST_OFFSET = 0;
  public static final int SRC_OFFSET = 6;
  public static final int ETHERTYPE_OFFSET = 12;
  public static final int KIND_OFFSET = 14;
  public static final int PORT_OFFSET = 16;
  public static final int SEQUENCE_OFFSET = 20;
  public static final int TIMESTAMP_OFFSET = 28;

  public static final long BROADCAST_MAC = 0xFFFF_FFFF_FFFFL;
  private static final long MAC_BASE = 0x0276_6370_0000L;

  private TestFrame() {}

  /** The MAC of port {@code portIndex}: locally administered (bit 1) and unicast (bit 0 clear). */
  public static long portMac(int portIndex) {
    return MAC_BASE | (portIndex & 0xFFFF);
  }

  /** Writes a 48-bit MAC at {@code offset}. */
  public static void putMac(ByteBuffer buf, int offset, long mac) {
    buf.putInt(offset, (int) (mac >>> 16));
    buf.putShort(offset + 4, (short) mac);
  }

  /** Reads the 48-bit MAC at {@code offset}. */
  public static long getMac(ByteBuffer buf, int offset) {
    return ((buf.getInt(offset) & 0xFFFF_FFFFL) << 16) | (buf.getShort(offset + 4) & 0xFFFFL);
  }

  /**
   * Writes the parts of a frame that never change for one sending port: prefix, source MAC,
   * ethertype, kind and port index, and zero padding. {@code slot} is the offset of the prefix.
   */
  public static void writeTemplate(
      ByteBuffer buf, int slot, int frameBytes, long srcMac, byte kind, int portIndex) {
    for (int i = 0; i < PREFIX_BYTES + frameBytes; i++) {
      buf.put(slot + i, (byte) 0);
    }
    buf.putInt(slot, frameBytes);
    int frame = slot + PREFIX_BYTES;
    putMac(buf, frame + SRC_OFFSET, srcMac);
    buf.putShort(frame + ETHERTYPE_OFFSET, (short) ETHERTYPE);
    buf.put(frame + KIND_OFFSET, kind);
    buf.putInt(frame + PORT_OFFSET, portIndex);
  }

  /** Fills the per-frame fields of a slot prepared by {@link #writeTemplate}. */
  public static void stamp(ByteBuffer buf, int slot, long dstMac, long sequence, long timestampNs) {
    int frame = slot + PREFIX_BYTES;
    putMac(buf, frame + DST_OFFSET, dstMac);
    buf.putLong(frame + SEQUENCE_OFFSET, sequence);
    buf.putLong(frame + TIMESTAMP_OFFSET, timestampNs);
  }

  /**
   * True if the frame at {@code frame} (no prefix) of {@code length} bytes is ours of {@code kind}.
   */
  public static boolean isKind(ByteBuffer buf, int frame, int length, byte kind) {
    return length >= HEADER_BYTES
        && (buf.getShort(frame + ETHERTYPE_OFFSET) & 0xFFFF) == ETHERTYPE
        && buf.get(frame + KIND_OFFSET) == kind;
  }

  public static long destination(ByteBuffer buf, int frame) {
    return getMac(buf, frame + DST_OFFSET);
  }

  public static int portIndex(ByteBuffer buf, int frame) {
    return buf.getInt(frame + PORT_OFFSET);
  }

  public static long sequence(ByteBuffer buf, int frame) {
    return buf.getLong(frame + SEQUENCE_OFFSET);
  }

  public static long timestampNs(ByteBuffer buf, int frame) {
    return buf.getLong(frame + TIMESTAMP_OFFSET);
  }
}
