package org.vccp.checkpoint.verify.capture;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Path;

/**
 * Streaming reader of classic libpcap files: microsecond ({@code 0xa1b2c3d4}) and nanosecond
 * ({@code 0xa1b23c4d}) magics in either byte order. One implicit interface named after the file;
 * the link type is kept as is (Ethernet, Linux cooked SLL and SLL2 are understood by the analyser).
 */
public final class PcapReader extends WindowedCaptureReader {
  static final int MAGIC_MICROS = 0xa1b2c3d4;
  static final int MAGIC_NANOS = 0xa1b23c4d;
  private static final int MAX_RECORD_BYTES = 16 << 20;

  private final CaptureInterface iface;
  private final boolean nanos;

  public PcapReader(Path path) throws IOException {
    this(path, 1 << 20);
  }

  public PcapReader(Path path, int bufferBytes) throws IOException {
    super(new FileWindow(path, bufferBytes));
    try {
      if (in.ensure(24) < 24) {
        throw new CaptureFormatException(path, 0, "too short for a pcap file header");
      }
      in.order(ByteOrder.LITTLE_ENDIAN);
      int magic = in.getInt(0);
      if (magic == Integer.reverseBytes(MAGIC_MICROS)
          || magic == Integer.reverseBytes(MAGIC_NANOS)) {
        in.order(ByteOrder.BIG_ENDIAN);
        magic = in.getInt(0);
      }
      if (magic != MAGIC_MICROS && magic != MAGIC_NANOS) {
        throw new CaptureFormatException(
            path, 0, String.format("not a pcap file (magic 0x%08X)", magic));
      }
      nanos = magic == MAGIC_NANOS;
      int major = in.getUnsignedShort(4);
      if (major != 2) {
        throw new CaptureFormatException(path, 4, "unsupported pcap major version " + major);
      }
      int snap = in.getInt(16);
      int linkType = in.getInt(20) & 0xffff;
      iface =
          new CaptureInterface(
              path.getFileName().toString(), null, linkType, snap, nanos ? 9 : 6, 0);
      in.skip(24);
    } catch (IOException | RuntimeException e) {
      in.close();
      throw e;
    }
  }

  @Override
  public boolean next() throws IOException {
    blockOffset = in.offset();
    int avail = in.ensure(16);
    if (avail == 0) {
      return false;
    }
    if (avail < 16) {
      throw error("truncated record header: file ends " + avail + " bytes into it");
    }
    int p = in.pos();
    long seconds = in.getUnsignedInt(p);
    long frac = in.getUnsignedInt(p + 4);
    long cap = in.getUnsignedInt(p + 8);
    long orig = in.getUnsignedInt(p + 12);
    if (frac >= (nanos ? 1_000_000_000L : 1_000_000L)) {
      throw error("record timestamp fraction " + frac + " is out of range");
    }
    if (cap > MAX_RECORD_BYTES) {
      throw error("record claims " + cap + " captured bytes, more than " + MAX_RECORD_BYTES);
    }
    int len = 16 + (int) cap;
    avail = in.ensure(len);
    if (avail < len) {
      throw error("truncated record: needs " + len + " bytes, file ends after " + avail);
    }
    p = in.pos();
    timestampNs = seconds * 1_000_000_000L + (nanos ? frac : frac * 1000);
    capturedLength = (int) cap;
    originalLength = (int) Math.min(Integer.MAX_VALUE, orig);
    dataOffset = p + 16;
    in.skip(len);
    frameNumber++;
    return true;
  }

  @Override
  public CaptureInterface captureInterface() {
    return iface;
  }

  @Override
  public int interfaceId() {
    return 0;
  }

  @Override
  public int sectionNumber() {
    return 0;
  }

  @Override
  public String sectionComment() {
    return null;
  }

  @Override
  public int flags() {
    return -1;
  }

  @Override
  public long packetId() {
    return -1;
  }

  @Override
  public String comment() {
    return null;
  }
}
