package org.vccp.checkpoint.verify;

/**
 * A UDP payload format that carries a sequence number. Implementations recognise their format from
 * the payload bytes alone; see docs/recording-format.md, "Sequence payloads recognised by vccp
 * verify".
 */
public interface SequencePayload {
  /** Short name used in findings and docs. */
  String name();

  /**
   * The sequence number in {@code len} payload bytes at {@code off}, or -1 when the payload is not
   * in this format.
   */
  long sequence(byte[] a, int off, int len);

  /**
   * Which of several numbered streams on one 5-tuple the payload belongs to (e.g. a flow id);
   * called only when {@link #sequence} recognised it. 0 when the format has no such field.
   */
  default long stream(byte[] a, int off, int len) {
    return 0;
  }
}
