package org.vccp.qemu.sim;

import java.io.DataInput;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * The envelope of a simulated guest's migration stream, so that a truncated or corrupt stream is
 * refused before any of it is loaded:
 *
 * <pre>
 *   0  8  magic "VCCPSIM\n"
 *   8  4  format version (1)
 *  12  4  body length L
 *  16  L  body: identity, run state, guest clock, network stack, workload (SimMachine)
 *  16+L 4 CRC-32C of bytes 0 .. 16+L
 * </pre>
 *
 * Big-endian throughout; nothing follows the checksum.
 */
final class StateCodec {
  static final byte[] MAGIC = "VCCPSIM\n".getBytes(StandardCharsets.US_ASCII);
  static final int VERSION = 1;
  static final int HEADER_BYTES = 16;
  static final int TRAILER_BYTES = 4;
  static final int MAX_BODY_BYTES = 256 << 20;

  private StateCodec() {}

  static byte[] wrap(byte[] body) {
    ByteBuffer b = ByteBuffer.allocate(HEADER_BYTES + body.length + TRAILER_BYTES);
    b.put(MAGIC).putInt(VERSION).putInt(body.length).put(body);
    CRC32C crc = new CRC32C();
    crc.update(b.array(), 0, HEADER_BYTES + body.length);
    b.putInt((int) crc.getValue());
    return b.array();
  }

  /** The body of {@code stream}, or a {@link SimImageException} saying what is wrong with it. */
  static byte[] unwrap(byte[] stream) throws SimImageException {
    if (stream.length == 0) {
      throw new SimImageException("the migration stream is empty");
    }
    if (stream.length < HEADER_BYTES
        || !Arrays.equals(stream, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
      throw new SimImageException(
          "the migration stream is not a vccp sim-guest image (bad magic; "
              + stream.length
              + " bytes)");
    }
    ByteBuffer b = ByteBuffer.wrap(stream);
    int version = b.getInt(8);
    if (version != VERSION) {
      throw new SimImageException(
          "the migration stream has format version " + version + "; this guest reads " + VERSION);
    }
    int length = b.getInt(12);
    long expected = (long) HEADER_BYTES + length + TRAILER_BYTES;
    if (length < 0 || length > MAX_BODY_BYTES || stream.length != expected) {
      throw new SimImageException(
          "the migration stream is "
              + stream.length
              + " bytes but its header says "
              + expected
              + " (truncated or extended)");
    }
    CRC32C crc = new CRC32C();
    crc.update(stream, 0, HEADER_BYTES + length);
    int stored = b.getInt(HEADER_BYTES + length);
    if (stored != (int) crc.getValue()) {
      throw new SimImageException(
          String.format(
              "the migration stream is corrupt: CRC-32C is %08x, the image says %08x",
              (int) crc.getValue(), stored));
    }
    return Arrays.copyOfRange(stream, HEADER_BYTES, HEADER_BYTES + length);
  }

  /** Reads a count and checks it against {@code max}, naming {@code what} if it is out of range. */
  static int count(DataInput in, int max, String what) throws IOException {
    int n = in.readInt();
    if (n < 0 || n > max) {
      throw new SimImageException("the image holds " + n + " " + what + ", outside 0.." + max);
    }
    return n;
  }
}
