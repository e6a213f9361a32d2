package org.vccp.vnet.port;

import org.vccp.vnet.forwarding.SwitchCommand;
import org.vccp.vnet.status.PortCounter;

/**
 * Frames a port took from its egress queue, or still holds there, identified by packet id, ingress
 * port and length: a first-in, first-out list, owned by one thread.
 *
 * <p>A port keeps two: the frames it has handed to a socket and not yet seen written (so that a
 * failed write can name them), and the frames it has given up on, which it reports to the recorder
 * as {@link SwitchCommand.EgressUnsent}. The recording's egress event of a frame says it was queued
 * for the port; an unsent event takes that back, so {@code vccp verify} counts the frame dropped,
 * not delivered.
 */
public final class UnsentFrames {
  private long[] ids = new long[64];
  private int[] from = new int[64];
  private int[] lengths = new int[64];
  private int head;
  private int size;

  /** Appends a frame. */
  public void add(long packetId, int fromPort, int length) {
    if (size == ids.length) {
      grow();
    }
    int i = (head + size) & (ids.length - 1);
    ids[i] = packetId;
    from[i] = fromPort;
    lengths[i] = length;
    size++;
  }

  private void grow() {
    long[] i2 = new long[ids.length * 2];
    int[] f2 = new int[ids.length * 2];
    int[] l2 = new int[ids.length * 2];
    copyOut(i2, f2, l2);
    ids = i2;
    from = f2;
    lengths = l2;
    head = 0;
  }

  /** Copies the frames, oldest first, to the start of the given arrays. */
  private void copyOut(long[] i, int[] f, int[] l) {
    for (int k = 0; k < size; k++) {
      int j = (head + k) & (ids.length - 1);
      i[k] = ids[j];
      f[k] = from[j];
      l[k] = lengths[j];
    }
  }

  /** Forgets the {@code n} oldest frames (they were sent). */
  public void skip(int n) {
    int k = Math.min(n, size);
    head = (head + k) & (ids.length - 1);
    size -= k;
  }

  /** Moves the {@code n} oldest frames to the end of {@code to}. */
  public void moveTo(UnsentFrames to, int n) {
    int k = Math.min(n, size);
    for (int j = 0; j < k; j++) {
      int i = (head + j) & (ids.length - 1);
      to.add(ids[i], from[i], lengths[i]);
    }
    skip(k);
  }

  /** The length of the oldest frame; the list must not be empty. */
  public int oldestLength() {
    return lengths[head];
  }

  public int size() {
    return size;
  }

  public boolean isEmpty() {
    return size == 0;
  }

  /**
   * Empties the list into a command that tells the recorder these frames never left {@code port}.
   * The segments of one super-frame ({@link org.vccp.vnet.frame.Offload}) share its packet id and
   * follow each other; they are reported once, as the one frame the recording holds, with their
   * lengths added up.
   */
  public SwitchCommand.EgressUnsent takeCommand(int portId, PortCounter reason) {
    long[] i = new long[size];
    int[] f = new int[size];
    int[] l = new int[size];
    copyOut(i, f, l);
    int n = 0;
    for (int k = 0; k < size; k++) {
      if (n > 0 && i[n - 1] == i[k] && f[n - 1] == f[k]) {
        l[n - 1] += l[k];
      } else {
        i[n] = i[k];
        f[n] = f[k];
        l[n] = l[k];
        n++;
      }
    }
    head = 0;
    size = 0;
    if (n < i.length) {
      i = java.util.Arrays.copyOf(i, n);
      f = java.util.Arrays.copyOf(f, n);
      l = java.util.Arrays.copyOf(l, n);
    }
    return new SwitchCommand.EgressUnsent(portId, reason, i, f, l);
  }
}
