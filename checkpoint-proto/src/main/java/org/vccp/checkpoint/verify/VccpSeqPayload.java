package org.vccp.checkpoint.verify;

/**
 * The {@code VCCPSEQ} payloads: text {@code "VCCPSEQ <decimal>"} followed by anything (a space,
 * newline or end), or binary {@code "VCCPSEQ\0"} followed by a 64-bit big-endian number.
 */
public final class VccpSeqPayload implements SequencePayload {
  private static final byte[] MAGIC = {'V', 'C', 'C', 'P', 'S', 'E', 'Q'};

  @Override
  public String name() {
    return "VCCPSEQ";
  }

  @Override
  public long sequence(byte[] a, int off, int len) {
    if (len < 9) {
      return -1;
    }
    for (int i = 0; i < MAGIC.length; i++) {
      if (a[off + i] != MAGIC[i]) {
        return -1;
      }
    }
    byte sep = a[off + 7];
    if (sep == 0) {
      if (len < 16) {
        return -1;
      }
      long v = Frames.i64(a, off + 8);
      return v < 0 ? -1 : v;
    }
    if (sep != ' ') {
      return -1;
    }
    return DecimalSeqPayload.decimal(a, off + 8, len - 8);
  }
}
