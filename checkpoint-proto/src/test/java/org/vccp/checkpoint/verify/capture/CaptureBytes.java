package org.vccp.checkpoint.verify.capture;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Test-only builder of raw pcapng and pcap bytes in either byte order, for what the production
 * writer never makes: big-endian sections, simple packet blocks, custom and unknown blocks, classic
 * pcap files, and deliberately broken blocks.
 */
public final class CaptureBytes {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private ByteOrder order = ByteOrder.LITTLE_ENDIAN;

  public byte[] bytes() {
    return out.toByteArray();
  }

  public int size() {
    return out.size();
  }

  /** An option: code, then value bytes. */
  public static byte[] opt(int code, byte[] value) {
    byte[] o = new byte[4 + ((value.length + 3) & ~3)];
    o[0] = (byte) code;
    o[1] = (byte) (code >> 8);
    o[2] = (byte) value.length;
    o[3] = (byte) (value.length >> 8);
    System.arraycopy(value, 0, o, 4, value.length);
    return o;
  }

  public static byte[] text(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private byte[] fixOrder(byte[] opt) {
    if (order == ByteOrder.BIG_ENDIAN) {
      byte t = opt[0];
      opt[0] = opt[1];
      opt[1] = t;
      t = opt[2];
      opt[2] = opt[3];
      opt[3] = t;
    }
    return opt;
  }

  public byte[] u32(long v) {
    return ByteBuffer.allocate(4).order(order).putInt((int) v).array();
  }

  public byte[] u64(long v) {
    return ByteBuffer.allocate(8).order(order).putLong(v).array();
  }

  /** A generic block: type, body (padded), total length front and back. */
  public CaptureBytes block(int type, byte[] body) {
    int padded = (body.length + 3) & ~3;
    int len = 12 + padded;
    ByteBuffer b = ByteBuffer.allocate(len).order(order);
    b.putInt(type).putInt(len).put(body);
    b.position(8 + padded);
    b.putInt(len);
    out.writeBytes(b.array());
    return this;
  }

  public CaptureBytes shb(ByteOrder order, String comment) {
    this.order = order;
    ByteBuffer body = ByteBuffer.allocate(16).order(order);
    body.putInt(0x1A2B3C4D).putShort((short) 1).putShort((short) 0).putLong(-1);
    byte[] opts = comment == null ? new byte[0] : fixOrder(opt(1, text(comment)));
    return block(0x0A0D0D0A, concat(body.array(), opts, new byte[4]));
  }

  public CaptureBytes idb(int linkType, int snap, byte[]... options) {
    ByteBuffer body = ByteBuffer.allocate(8).order(order);
    body.putShort((short) linkType).putShort((short) 0).putInt(snap);
    byte[] all = body.array();
    for (byte[] o : options) {
      all = concat(all, fixOrder(o));
    }
    return block(1, concat(all, new byte[4]));
  }

  public static byte[] ifName(String name) {
    return opt(2, text(name));
  }

  public static byte[] tsresol(int v) {
    return opt(9, new byte[] {(byte) v});
  }

  public byte[] tsoffset(long seconds) {
    return opt(14, u64(seconds));
  }

  public byte[] flags(int v) {
    return opt(2, u32(v));
  }

  public byte[] packetId(long v) {
    return opt(5, u64(v));
  }

  public static byte[] comment(String s) {
    return opt(1, text(s));
  }

  public CaptureBytes epb(int ifId, long units, byte[] data, int origLen, byte[]... options) {
    ByteBuffer head = ByteBuffer.allocate(20).order(order);
    head.putInt(ifId).putInt((int) (units >>> 32)).putInt((int) units);
    head.putInt(data.length).putInt(origLen);
    byte[] padded = new byte[(data.length + 3) & ~3];
    System.arraycopy(data, 0, padded, 0, data.length);
    byte[] all = concat(head.array(), padded);
    if (options.length > 0) {
      for (byte[] o : options) {
        all = concat(all, fixOrder(o));
      }
      all = concat(all, new byte[4]);
    }
    return block(6, all);
  }

  public CaptureBytes spb(byte[] data, int origLen) {
    return block(3, concat(u32(origLen), data));
  }

  /** A custom block (0x00000BAD or 0x40000BAD) with a private enterprise number. */
  public CaptureBytes custom(int type, int pen, byte[] data) {
    return block(type, concat(u32(pen), data));
  }

  public CaptureBytes raw(byte[] b) {
    out.writeBytes(b);
    return this;
  }

  /** A classic pcap file header. */
  public CaptureBytes pcapHeader(ByteOrder order, boolean nanos, int snap, int linkType) {
    this.order = order;
    ByteBuffer b = ByteBuffer.allocate(24).order(order);
    b.putInt(nanos ? 0xa1b23c4d : 0xa1b2c3d4).putShort((short) 2).putShort((short) 4);
    b.putInt(0).putInt(0).putInt(snap).putInt(linkType);
    out.writeBytes(b.array());
    return this;
  }

  public CaptureBytes pcapRecord(long seconds, long frac, byte[] data, int origLen) {
    ByteBuffer b = ByteBuffer.allocate(16).order(order);
    b.putInt((int) seconds).putInt((int) frac).putInt(data.length).putInt(origLen);
    out.writeBytes(b.array());
    out.writeBytes(data);
    return this;
  }

  public static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      o.writeBytes(p);
    }
    return o.toByteArray();
  }
}
