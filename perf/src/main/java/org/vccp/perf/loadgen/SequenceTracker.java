package org.vccp.perf.loadgen;

import java.util.Arrays;

/**
 * Exact delivery accounting for one (sender, receiver) stream of sequence numbers starting at 0.
 *
 * <p>A bitmap of every sequence seen makes duplicates exact however late they come. A frame whose
 * sequence is below the highest seen so far, and new, counts as reordered (RFC 4737's definition):
 * swapping two neighbours counts one. Loss is only known at the end, from how many the sender sent:
 * {@link #lost(long)}. The bitmap costs one bit per frame (400 KB for 3.2 M frames) and grows by
 * doubling, so allocation is logarithmic in the run length, not per frame.
 */
final class SequenceTracker {
  /** Sequences above this are treated as corrupt rather than allocating a huge bitmap. */
  static final long MAX_SEQUENCE = 1L << 36;

  private long[] seen = new long[1 << 12];
  private long highest = -1;
  private long unique;
  private long duplicated;
  private long reordered;
  private long corrupt;

  /** Accounts one arriving sequence number; true if it was seen for the first time. */
  boolean record(long sequence) {
    if (sequence < 0 || sequence > MAX_SEQUENCE) {
      corrupt++;
      return false;
    }
    int word = (int) (sequence >>> 6);
    if (word >= seen.length) {
      grow(word);
    }
    long bit = 1L << sequence;
    if ((seen[word] & bit) != 0) {
      duplicated++;
      return false;
    }
    seen[word] |= bit;
    unique++;
    if (sequence < highest) {
      reordered++;
    } else {
      highest = sequence;
    }
    return true;
  }

  private void grow(int word) {
    int length = seen.length;
    while (length <= word) {
      length <<= 1;
    }
    seen = Arrays.copyOf(seen, length);
  }

  /** Distinct sequences received. */
  long unique() {
    return unique;
  }

  long duplicated() {
    return duplicated;
  }

  long reordered() {
    return reordered;
  }

  long corrupt() {
    return corrupt;
  }

  /**
   * Frames sent and never received, given that the sender sent {@code sent} (sequences 0..sent-1).
   */
  long lost(long sent) {
    long arrived = 0;
    long words = Math.min((sent + 63) >>> 6, seen.length);
    for (int w = 0; w < words; w++) {
      long mask = seen[w];
      long last = ((long) w << 6) + 63;
      if (last >= sent) {
        mask &= (1L << (sent & 63)) - 1;
      }
      arrived += Long.bitCount(mask);
    }
    return sent - arrived;
  }
}
