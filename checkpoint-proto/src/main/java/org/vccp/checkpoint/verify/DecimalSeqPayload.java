package org.vccp.checkpoint.verify;

/**
 * Payloads that start with an optional prefix and then a decimal sequence number, ended by a
 * non-digit or the end of the payload: e.g. {@code "seq=42\n"} with prefix {@code "seq="}.
 */
public final class DecimalSeqPayload implements SequencePayload {
  private final String name;
  private final byte[] prefix;

  public DecimalSeqPayload(String name, String prefix) {
    this.name = name;
    this.prefix = prefix.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public long sequence(byte[] a, int off, int len) {
    if (len <= prefix.length) {
      return -1;
    }
    for (int i = 0; i < prefix.length; i++) {
      if (a[off + i] != prefix[i]) {
        return -1;
      }
    }
    return decimal(a, off + prefix.length, len - prefix.length);
  }

  /** 1 to 18 ASCII digits at {@code off}, ended by a non-digit or the end; else -1. */
  static long decimal(byte[] a, int off, int len) {
    long v = 0;
    int n = 0;
    while (n < len && n < 19) {
      int c = a[off + n] - '0';
      if (c < 0 || c > 9) {
        break;
      }
      v = v * 10 + c;
      n++;
    }
    if (n == 0 || n > 18) {
      return -1;
    }
    if (n < len) {
      byte end = a[off + n];
      if (end != ' ' && end != '\n' && end != '\r' && end != 0 && end != '\t' && end != ',') {
        return -1;
      }
    }
    return v;
  }
}
