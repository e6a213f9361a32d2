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
}
