package org.vccp.vnet.record;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Writes pcapng blocks (section header, interface description, enhanced packet) to a channel
 * through a reusable direct buffer (with direct I/O, one of {@link DirectFileOutput}'s), little-
 * endian, as the pcapng specification lays them out. Not thread-safe: one writer thread. Nothing is
 * allocated per packet unless a comment string has to be encoded (use the {@code byte[]} overload
 * on hot paths).
 *
 * <p>The VCCP meaning of the options written here is in {@code docs/recording-format.md}.
 */
public final class PcapngWriter implements AutoCloseable {
  public static final int LINKTYPE_ETHERNET = 1;
  public static final int LINKTYPE_USER0 = 147;

  /** {@code epb_flags} direction bits: inbound (ingress). */
  public static final int FLAGS_INBOUND = 0b01;

  /** {@code epb_flags} direction bits: outbound (egress). */
  public static final int FLAGS_OUTBOUND = 0b10;

  /** {@code epb_flags} with no direction: the event did not deliver the frame (drop, held). */
  public static final int FLAGS_NOT_DELIVERED = 0;

  private static final int SHB = 0x0A0D0D0A;
  private static final int IDB = 0x00000001;
  private static final int EPB = 0x00000006;
  private static final int OPT_END = 0;
  private static final int OPT_COMMENT = 1;
  private static final int SHB_USERAPPL = 4;
  private static final int IF_NAME = 2;
  private static final int IF_DESCRIPTION = 3;
  private static final int IF_TSRESOL = 9;
  private static final int EPB_FLAGS = 2;
  private static final int EPB_PACKETID = 5;
  private static final int MAX_OPTION_BYTES = 0xFFFF;

  /** Room for the largest packet block: headers, 64 KiB of data, options, comment. */
  private static final int MIN_BUFFER = 256 * 1024;

  private final WritableByteChannel out;
  private final DirectFileOutput direct;

  /**
   * Where {@link #buf} goes back when the writer is closed; null: it was allocated for this one.
   */
  private final RecordingBuffers pool;

  private ByteBuffer buf;
  private long bytesWritten;
  private int interfaces;
  private boolean closed;

  /**
   * @param out where the blocks go; not closed by {@link #close()} unless it is the only owner
   * @param bufferBytes buffer size; at least 256 KiB is used
   */
  public PcapngWriter(WritableByteChannel out, int bufferBytes) {
    this(out, bufferBytes, null);
  }

  private PcapngWriter(WritableByteChannel out, int bufferBytes, RecordingBuffers pool) {
    this.out = out;
    this.direct = null;
    this.pool = pool;
    int bytes = Math.max(bufferBytes, MIN_BUFFER);
    this.buf =
        (pool != null ? pool.take(bytes) : ByteBuffer.allocateDirect(bytes))
            .order(ByteOrder.LITTLE_ENDIAN);
  }

  /** A writer through {@code direct}'s buffers and I/O thread (package-private for tests). */
  PcapngWriter(DirectFileOutput direct) {
    this.out = null;
    this.direct = direct;
    this.pool = null;
    this.buf = direct.firstBuffer();
  }

  /**
   * A writer to a new file, written with direct I/O where the file system allows it ({@link
   * DirectFileOutput}: no page-cache copy), else through an ordinary file channel.
   *
   * @throws java.nio.file.FileAlreadyExistsException when the file exists
   */
  public static PcapngWriter create(Path file, int bufferBytes) throws IOException {
    return create(file, bufferBytes, new RecordingBuffers());
  }

  /**
   * The same, with buffers from {@code pool}, given back on {@link #close()}: the files of one
   * recording reuse them.
   */
  static PcapngWriter create(Path file, int bufferBytes, RecordingBuffers pool) throws IOException {
    DirectFileOutput direct =
        DirectFileOutput.create(file, Math.max(bufferBytes, MIN_BUFFER), pool);
    if (direct != null) {
      return new PcapngWriter(direct);
    }
    return new PcapngWriter(
        FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
        bufferBytes,
        pool);
  }

  /** True when blocks go to the disk with direct I/O. */
  public boolean isDirect() {
    return direct != null;
  }

  /** Starts a section (a file starts with one). Interface ids restart at 0. */
  public void writeSectionHeader(String userAppl, String comment) {
    byte[] appl = utf8(userAppl);
    byte[] text = utf8(comment);
    int len = 28 + optionBytes(appl) + optionBytes(text) + 4;
    ensureRoom(len);
    buf.putInt(SHB).putInt(len).putInt(0x1A2B3C4D).putShort((short) 1).putShort((short) 0);
    buf.putLong(-1L);
    putOption(SHB_USERAPPL, appl);
    putOption(OPT_COMMENT, text);
    buf.putShort((short) OPT_END).putShort((short) 0);
    buf.putInt(len);
    interfaces = 0;
  }

  /**
   * Describes an interface with nanosecond timestamps and returns its id in this section.
   *
   * @param description may be null
   */
  public int addInterface(String name, String description, int linkType, int snapLen) {
    byte[] nameBytes = utf8(name);
    byte[] descBytes = utf8(description);
    int len = 16 + optionBytes(nameBytes) + optionBytes(descBytes) + 8 + 4 + 4;
    ensureRoom(len);
    buf.putInt(IDB).putInt(len).putShort((short) linkType).putShort((short) 0).putInt(snapLen);
    putOption(IF_NAME, nameBytes);
    putOption(IF_DESCRIPTION, descBytes);
    buf.putShort((short) IF_TSRESOL).putShort((short) 1).putInt(9);
    buf.putShort((short) OPT_END).putShort((short) 0);
    buf.putInt(len);
    return interfaces++;
  }

  /** {@link #writePacket(int, long, byte[], int, int, int, int, long, byte[])} with a string. */
  public void writePacket(
      int interfaceId,
      long timestampNs,
      byte[] data,
      int offset,
      int capturedLength,
      int originalLength,
      int flags,
      long packetId,
      String comment) {
    writePacket(
        interfaceId,
        timestampNs,
        data,
        offset,
        capturedLength,
        originalLength,
        flags,
        packetId,
        utf8(comment));
  }

  /**
   * Writes one Enhanced Packet Block.
   *
   * @param timestampNs nanoseconds since the Unix epoch
   * @param flags {@code epb_flags} value, or -1 to omit the option
   * @param packetId {@code epb_packetid} value, or -1 to omit the option
   * @param comment UTF-8 {@code opt_comment}, or null
   */
  public void writePacket(
      int interfaceId,
      long timestampNs,
      byte[] data,
      int offset,
      int capturedLength,
      int originalLength,
      int flags,
      long packetId,
      byte[] comment) {
    int padded = (capturedLength + 3) & ~3;
    int options = optionBytes(comment) + (flags >= 0 ? 8 : 0) + (packetId >= 0 ? 12 : 0);
    if (options > 0) {
      options += 4;
    }
    int len = 28 + padded + options + 4;
    ensureRoom(len);
    // Absolute stores, two fields at a time where they sit side by side (little-endian, so the
    // lower address takes the low half), and one position update: the recorder writes two of
    // these blocks for every frame it records.
    ByteBuffer b = buf;
    int p = b.position();
    b.putLong(p, (long) len << 32 | EPB);
    b.putLong(p + 8, (timestampNs >>> 32) << 32 | (interfaceId & 0xFFFF_FFFFL));
    b.putLong(p + 16, (long) capturedLength << 32 | (timestampNs & 0xFFFF_FFFFL));
    b.putInt(p + 24, originalLength);
    if (padded != capturedLength) {
      b.putInt(p + 24 + padded, 0); // the padding: the data's last word, before the data covers it
    }
    b.put(p + 28, data, offset, capturedLength);
    int q = p + 28 + padded;
    if (options > 0) {
      if (comment != null) {
        b.position(q);
        putOption(OPT_COMMENT, comment);
        q = b.position();
      }
      if (flags >= 0) {
        b.putLong(q, (long) flags << 32 | 4 << 16 | EPB_FLAGS);
        q += 8;
      }
      if (packetId >= 0) {
        b.putInt(q, 8 << 16 | EPB_PACKETID);
        b.putLong(q + 4, packetId);
        q += 12;
      }
      b.putInt(q, OPT_END);
      q += 4;
    }
    b.putInt(q, len);
    b.position(q + 4);
  }

  /** Bytes handed to the channel plus bytes still buffered. */
  public long bytesWritten() {
    return (direct != null ? direct.flushedBytes() : bytesWritten) + buf.position();
  }

  /**
   * Bytes waiting in the buffer. With direct I/O this includes the partial last block, which is
   * already in the file too.
   */
  public int buffered() {
    return buf.position();
  }

  /** Writes everything buffered to the channel. */
  public void flush() {
    flush(true);
  }

  /**
   * Writes what can be written cheaply: with direct I/O, the whole blocks (the partial last one
   * waits for the next {@link #flush()}); otherwise everything.
   */
  public void flushBlocks() {
    flush(false);
  }

  private void flush(boolean complete) {
    if (direct != null) {
      try {
        buf = direct.flush(buf, complete);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return;
    }
    buf.flip();
    try {
      while (buf.hasRemaining()) {
        bytesWritten += out.write(buf);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      buf.clear();
    }
  }

  /** Flushes and closes the channel; closing again does nothing. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      flush();
    } finally {
      try {
        if (direct != null) {
          direct.close();
        } else {
          out.close();
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } finally {
        if (pool != null) {
          pool.give(buf);
        }
      }
    }
  }

  private void ensureRoom(int len) {
    if (len > buf.capacity()) {
      throw new IllegalArgumentException("pcapng block of " + len + " bytes exceeds the buffer");
    }
    if (buf.remaining() < len) {
      flushBlocks();
    }
  }

  private void putOption(int code, byte[] value) {
    if (value == null) {
      return;
    }
    buf.putShort((short) code).putShort((short) value.length).put(value);
    for (int i = value.length; i < ((value.length + 3) & ~3); i++) {
      buf.put((byte) 0);
    }
  }

  private static int optionBytes(byte[] value) {
    return value == null ? 0 : 4 + ((value.length + 3) & ~3);
  }

  /** UTF-8 bytes of {@code s}, cut to what one option can hold; null stays null. */
  public static byte[] utf8(String s) {
    if (s == null) {
      return null;
    }
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    return b.length <= MAX_OPTION_BYTES ? b : java.util.Arrays.copyOf(b, MAX_OPTION_BYTES);
  }
}
