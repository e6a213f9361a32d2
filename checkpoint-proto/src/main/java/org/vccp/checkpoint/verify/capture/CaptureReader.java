package org.vccp.checkpoint.verify.capture;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A pull reader of the packet records of one capture file. {@link #next()} moves to the next
 * packet; the accessors describe it until the following call. Packet bytes are in {@link #array()}
 * at {@link #dataOffset()}, valid only until the next call: no object is made per packet.
 */
public interface CaptureReader extends Closeable {
  /** Advances to the next packet; false at the end of the file. */
  boolean next() throws IOException;

  Path path();

  /** File size in bytes. */
  long size();

  /** Bytes consumed so far (for progress). */
  long position();

  /** 1-based number of the current packet in the file, as Wireshark numbers frames. */
  long frameNumber();

  /** File offset of the current packet's block or record. */
  long blockOffset();

  CaptureInterface captureInterface();

  /** Index of the current interface within its section (0 for classic pcap). */
  int interfaceId();

  /** Number of the section (0-based; always 0 for classic pcap). */
  int sectionNumber();

  /** The current section's {@code opt_comment}, or null. */
  String sectionComment();

  long timestampNs();

  byte[] array();

  int dataOffset();

  int capturedLength();

  int originalLength();

  /** The {@code epb_flags} word, or -1 when absent. */
  int flags();

  /** The {@code epb_packetid}, or -1 when absent. */
  long packetId();

  /** The first {@code opt_comment} of the packet, or null. */
  String comment();

  /** Throws a {@link CaptureFormatException} naming this file and the current block. */
  default CaptureFormatException error(String reason) {
    return new CaptureFormatException(path(), blockOffset(), reason);
  }
}
