package org.vccp.checkpoint.verify.capture;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Streaming reader of pcapng files (the IETF opsawg pcapng draft): any number of sections in either
 * byte order; Interface Description Blocks with {@code if_name}, {@code if_description}, {@code
 * if_tsresol} and {@code if_tsoffset}; Enhanced, Simple and obsolete Packet Blocks with {@code
 * epb_flags}, {@code epb_packetid} and {@code opt_comment}. Name resolution, statistics, custom and
 * unknown blocks are skipped by their length.
 *
 * <p>Every block is checked before it is used (type, length a multiple of 4, leading and trailing
 * lengths equal, fields inside the block, interface ids defined); anything else is a {@link
 * CaptureFormatException} with the block's byte offset.
 */
public final class PcapngReader extends WindowedCaptureReader {
  static final int SHB = 0x0A0D0D0A;
  static final int IDB = 1;
  static final int PB = 2;
  static final int SPB = 3;
  static final int EPB = 6;
  static final int BYTE_ORDER_MAGIC = 0x1A2B3C4D;

  /** Larger blocks are taken for corruption rather than read into memory. */
  static final int MAX_BLOCK_BYTES = 64 << 20;

  private static final int OPT_COMMENT = 1;
  private static final int IF_NAME = 2;
  private static final int IF_DESCRIPTION = 3;
  private static final int IF_TSRESOL = 9;
  private static final int IF_TSOFFSET = 14;
  private static final int EPB_FLAGS = 2;
  private static final int EPB_PACKETID = 5;

  private final List<CaptureInterface> interfaces = new ArrayList<>();
  private int section = -1;
  private String sectionComment;
  private int interfaceId;
  private int flags;
  private long packetId;
  private String comment;

  public PcapngReader(Path path) throws IOException {
    this(path, 1 << 20);
  }

  public PcapngReader(Path path, int bufferBytes) throws IOException {
    super(new FileWindow(path, bufferBytes));
    if (in.ensure(12) < 12) {
      in.close();
      throw new CaptureFormatException(path, 0, "too short for a pcapng section header");
    }
    if (in.getInt(0) != SHB) {
      in.close();
      throw new CaptureFormatException(path, 0, "not a pcapng file (no section header block)");
    }
    try {
      readSectionHeader();
    } catch (IOException | RuntimeException e) {
      in.close();
      throw e;
    }
  }

  @Override
  public boolean next() throws IOException {
    while (true) {
      blockOffset = in.offset();
      int avail = in.ensure(8);
      if (avail == 0) {
        return false;
      }
      if (avail < 8) {
        throw error("truncated block header: file ends " + avail + " bytes into it");
      }
      int p = in.pos();
      int type = in.getInt(p);
      if (type == SHB) {
        readSectionHeader();
        continue;
      }
      if (section < 0) {
        throw error("block before the first section header block");
      }
      long length = in.getUnsignedInt(p + 4);
      int len = checkLength(type, length, 12);
      p = in.pos();
      switch (type) {
        case IDB -> readInterface(p, len);
        case EPB -> {
          readEnhancedPacket(p, len);
          in.skip(len);
          return true;
        }
        case SPB -> {
          readSimplePacket(p, len);
          in.skip(len);
          return true;
        }
        case PB -> {
          readObsoletePacket(p, len);
          in.skip(len);
          return true;
        }
        default -> {
          // NRB, ISB, DSB, custom and unknown blocks: their length was checked, skip them.
        }
      }
      in.skip(len);
    }
  }

  /** Validates a block's length fields and makes the whole block contiguous; returns it. */
  private int checkLength(int type, long length, int minimum) throws IOException {
    if (length < minimum || (length & 3) != 0) {
      throw error(
          String.format(
              "block type 0x%08X has invalid length %d (minimum %d, multiple of 4)",
              type, length, minimum));
    }
    if (length > MAX_BLOCK_BYTES) {
      throw error(
          String.format(
              "block type 0x%08X claims %d bytes, more than the %d this reader accepts",
              type, length, MAX_BLOCK_BYTES));
    }
    int len = (int) length;
    int avail = in.ensure(len);
    if (avail < len) {
      throw error(
          String.format(
              "truncated block type 0x%08X: needs %d bytes, file ends after %d", type, len, avail));
    }
    long trailer = in.getUnsignedInt(in.pos() + len - 4);
    if (trailer != length) {
      throw error(
          String.format(
              "block type 0x%08X: leading length %d differs from trailing length %d",
              type, length, trailer));
    }
    return len;
  }

  private void readSectionHeader() throws IOException {
    int avail = in.ensure(12);
    if (avail < 12) {
      throw error("truncated section header block");
    }
    int p = in.pos();
    int magic = in.getInt(p + 8);
    if (magic == Integer.reverseBytes(BYTE_ORDER_MAGIC)) {
      in.order(in.order() == ByteOrder.BIG_ENDIAN ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN);
    } else if (magic != BYTE_ORDER_MAGIC) {
      throw error(String.format("section header has bad byte-order magic 0x%08X", magic));
    }
    int len = checkLength(SHB, in.getUnsignedInt(p + 4), 28);
    p = in.pos();
    int major = in.getUnsignedShort(p + 12);
    if (major != 1) {
      throw error("unsupported pcapng major version " + major);
    }
    section++;
    interfaces.clear();
    sectionComment = null;
    int o = p + 24;
    int end = p + len - 4;
    while (o + 4 <= end) {
      int code = in.getUnsignedShort(o);
      int olen = in.getUnsignedShort(o + 2);
      if (code == 0) {
        break;
      }
      checkOption(o, olen, end);
      if (code == OPT_COMMENT && sectionComment == null) {
        sectionComment = string(o + 4, olen);
      }
      o += 4 + pad(olen);
    }
    in.skip(len);
  }

  private void readInterface(int p, int len) throws IOException {
    if (len < 20) {
      throw error("interface description block shorter than 20 bytes");
    }
    int linkType = in.getUnsignedShort(p + 8);
    int snap = in.getInt(p + 12);
    String name = null;
    String description = null;
    int tsresol = 6;
    long tsoffset = 0;
    int o = p + 16;
    int end = p + len - 4;
    while (o + 4 <= end) {
      int code = in.getUnsignedShort(o);
      int olen = in.getUnsignedShort(o + 2);
      if (code == 0) {
        break;
      }
      checkOption(o, olen, end);
      switch (code) {
        case IF_NAME -> name = string(o + 4, olen);
        case IF_DESCRIPTION -> description = string(o + 4, olen);
        case IF_TSRESOL -> {
          if (olen < 1) {
            throw error("if_tsresol option is empty");
          }
          tsresol = in.array()[o + 4] & 0xff;
          if ((tsresol & 0x7f) > 63) {
            throw error("if_tsresol " + tsresol + " is out of range");
          }
        }
        case IF_TSOFFSET -> {
          if (olen < 8) {
            throw error("if_tsoffset option shorter than 8 bytes");
          }
          tsoffset = in.getLong(o + 4);
        }
        default -> {}
      }
      o += 4 + pad(olen);
    }
    if (name == null) {
      name = in.path().getFileName() + "#" + interfaces.size();
    }
    interfaces.add(new CaptureInterface(name, description, linkType, snap, tsresol, tsoffset));
  }

  private void readEnhancedPacket(int p, int len) throws IOException {
    if (len < 32) {
      throw error("enhanced packet block shorter than 32 bytes");
    }
    interfaceId = checkInterface(in.getInt(p + 8));
    long units = (in.getUnsignedInt(p + 12) << 32) | in.getUnsignedInt(p + 16);
    timestampNs = interfaces.get(interfaceId).toNanos(units);
    long cap = in.getUnsignedInt(p + 20);
    originalLength = (int) Math.min(Integer.MAX_VALUE, in.getUnsignedInt(p + 24));
    if (cap > len - 32) {
      throw error(
          "enhanced packet block: captured length " + cap + " exceeds the block's " + (len - 32));
    }
    capturedLength = (int) cap;
    dataOffset = p + 28;
    flags = -1;
    packetId = -1;
    comment = null;
    int o = dataOffset + pad(capturedLength);
    int end = p + len - 4;
    while (o + 4 <= end) {
      int code = in.getUnsignedShort(o);
      int olen = in.getUnsignedShort(o + 2);
      if (code == 0) {
        break;
      }
      checkOption(o, olen, end);
      switch (code) {
        case OPT_COMMENT -> {
          if (comment == null) {
            comment = string(o + 4, olen);
          }
        }
        case EPB_FLAGS -> {
          if (olen < 4) {
            throw error("epb_flags option shorter than 4 bytes");
          }
          flags = in.getInt(o + 4);
        }
        case EPB_PACKETID -> {
          if (olen < 8) {
            throw error("epb_packetid option shorter than 8 bytes");
          }
          packetId = in.getLong(o + 4);
        }
        default -> {}
      }
      o += 4 + pad(olen);
    }
    frameNumber++;
  }

  private void readSimplePacket(int p, int len) throws IOException {
    if (len < 16) {
      throw error("simple packet block shorter than 16 bytes");
    }
    interfaceId = checkInterface(0);
    originalLength = (int) Math.min(Integer.MAX_VALUE, in.getUnsignedInt(p + 8));
    int cap = Math.min(originalLength, len - 16);
    int snap = interfaces.get(0).snapLength();
    if (snap > 0) {
      cap = Math.min(cap, snap);
    }
    capturedLength = cap;
    dataOffset = p + 12;
    flags = -1;
    packetId = -1;
    comment = null;
    // A simple packet block has no timestamp: it keeps the previous packet's.
    frameNumber++;
  }

  private void readObsoletePacket(int p, int len) throws IOException {
    if (len < 32) {
      throw error("packet block shorter than 32 bytes");
    }
    interfaceId = checkInterface(in.getUnsignedShort(p + 8));
    long units = (in.getUnsignedInt(p + 12) << 32) | in.getUnsignedInt(p + 16);
    timestampNs = interfaces.get(interfaceId).toNanos(units);
    long cap = in.getUnsignedInt(p + 20);
    originalLength = (int) Math.min(Integer.MAX_VALUE, in.getUnsignedInt(p + 24));
    if (cap > len - 32) {
      throw error("packet block: captured length " + cap + " exceeds the block's " + (len - 32));
    }
    capturedLength = (int) cap;
    dataOffset = p + 28;
    flags = -1;
    packetId = -1;
    comment = null;
    frameNumber++;
  }

  private int checkInterface(long id) throws CaptureFormatException {
    if (id < 0 || id >= interfaces.size()) {
      throw error(
          "packet refers to interface "
              + id
              + " but section "
              + section
              + " has "
              + interfaces.size()
              + " interface description blocks");
    }
    return (int) id;
  }

  private void checkOption(int o, int olen, int end) throws CaptureFormatException {
    if (o + 4 + olen > end) {
      throw error(
          "option code "
              + in.getUnsignedShort(o)
              + " of length "
              + olen
              + " runs past the end of its block");
    }
  }

  private String string(int index, int length) {
    byte[] a = in.array();
    int n = 0;
    while (n < length && a[index + n] != 0) {
      n++;
    }
    return new String(a, index, n, StandardCharsets.UTF_8);
  }

  private static int pad(int n) {
    return (n + 3) & ~3;
  }

  @Override
  public CaptureInterface captureInterface() {
    return interfaces.get(interfaceId);
  }

  @Override
  public int interfaceId() {
    return interfaceId;
  }

  @Override
  public int sectionNumber() {
    return section;
  }

  @Override
  public String sectionComment() {
    return sectionComment;
  }

  @Override
  public int flags() {
    return flags;
  }

  @Override
  public long packetId() {
    return packetId;
  }

  @Override
  public String comment() {
    return comment;
  }

  /** Interfaces of the current section, in id order. */
  public List<CaptureInterface> interfaces() {
    return List.copyOf(interfaces);
  }
}
