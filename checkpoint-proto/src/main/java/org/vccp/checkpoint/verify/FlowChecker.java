package org.vccp.checkpoint.verify;

import java.util.List;

/**
 * The TCP and UDP checks: one stream state per flow direction (5-tuple) and observation point (a
 * port's ingress, where the guest sent, or its egress, where the switch delivered). TCP:
 * retransmissions, holes (a sequence range never seen at that point though later data was),
 * out-of-order segments. UDP with a recognised sequence payload: gaps, duplicates, reorders.
 *
 * <p>Holes and gaps stay open for the context's time window after they appear, so a late segment
 * turns them into a reorder; when the window passes or the input ends they are reported. Severity:
 * anything at a delivery point is an error except retransmissions, which a guest's TCP makes on its
 * own (warnings); at a sending point holes and gaps are errors (frames lost between guest and
 * switch) and out-of-order/retransmissions are warnings.
 */
final class FlowChecker {
  private static final int MAX_OPEN = 16;

  private final VerifyContext ctx;
  private final Findings findings;
  private final List<String> files;
  private final FlowTable<Stream> table = new FlowTable<>(1024);
  private final List<SequencePayload> formats;
  private long tcpFlows;
  private long udpFlows;
  private long tcpSegments;
  private long udpDatagrams;

  FlowChecker(VerifyContext ctx, Findings findings, List<String> files) {
    this.ctx = ctx;
    this.findings = findings;
    this.files = files;
    this.formats = ctx.sequencePayloads;
  }

  long tcpFlows() {
    return tcpFlows;
  }

  long udpFlows() {
    return udpFlows;
  }

  long tcpSegments() {
    return tcpSegments;
  }

  long udpDatagrams() {
    return udpDatagrams;
  }

  /**
   * Observes the reader's current record at port {@code port}'s sending (ingress) or delivery
   * (egress) point.
   */
  void observe(
      Channels channels,
      int port,
      boolean delivery,
      org.vccp.checkpoint.verify.capture.CaptureReader r,
      int file,
      long frame,
      long packetId) {
    observe(
        port * 2 + (delivery ? 1 : 0),
        channels.point(port, delivery),
        delivery,
        r.captureInterface().linkType(),
        r.array(),
        r.dataOffset(),
        r.capturedLength(),
        r.timestampNs(),
        file,
        frame,
        packetId);
  }

  /**
   * Looks at one frame at one observation point.
   *
   * @param pointId a small unique id of (port, direction)
   * @param pointName e.g. {@code g2:egress}
   * @param delivery true at a delivery point (egress), false at a sending point (ingress)
   */
  private void observe(
      int pointId,
      String pointName,
      boolean delivery,
      int linkType,
      byte[] a,
      int off,
      int len,
      long ts,
      int file,
      long frame,
      long packetId) {
    long net = Frames.network(linkType, a, off, len);
    if (net < 0) {
      return;
    }
    int type = (int) (net >>> 32);
    int p = off + (int) net;
    int end = off + len;
    int proto;
    int l4;
    int l4Len;
    long k1;
    long family;
    if (type == Frames.ETHERTYPE_IPV4) {
      if (p + 20 > end || (a[p] & 0xf0) != 0x40) {
        return;
      }
      int ihl = (a[p] & 0x0f) * 4;
      if ((Frames.u16(a, p + 6) & 0x1fff) != 0 || ihl < 20) {
        return;
      }
      proto = a[p + 9] & 0xff;
      l4 = p + ihl;
      l4Len = Frames.u16(a, p + 2) - ihl;
      k1 = ((long) Frames.i32(a, p + 12) << 32) | (Frames.i32(a, p + 16) & 0xffffffffL);
      family = 4;
    } else if (type == Frames.ETHERTYPE_IPV6) {
      if (p + 40 > end) {
        return;
      }
      proto = a[p + 6] & 0xff;
      l4 = p + 40;
      l4Len = Frames.u16(a, p + 4);
      k1 = Frames.hash(a, p + 8, 32);
      family = 6;
    } else {
      return;
    }
    if (proto == 6) {
      if (l4 + 20 > end) {
        return;
      }
      tcp(pointId, pointName, delivery, a, p, family, k1, l4, l4Len, ts, file, frame, packetId);
    } else if (proto == 17 && !formats.isEmpty()) {
      if (l4 + 8 > end) {
        return;
      }
      int payloadLen = Math.min(Frames.u16(a, l4 + 4) - 8, end - (l4 + 8));
      if (payloadLen <= 0) {
        return;
      }
      long seq = -1;
      long stream = 0;
      for (SequencePayload f : formats) {
        seq = f.sequence(a, l4 + 8, payloadLen);
        if (seq >= 0) {
          stream = f.stream(a, l4 + 8, payloadLen);
          break;
        }
      }
      if (seq < 0) {
        return;
      }
      long k2 = ((long) Frames.i32(a, l4) << 32) | ((stream & 0xffff) << 16) | (17L << 8) | family;
      Stream s = table.get(k1, k2, pointId);
      if (s == null) {
        String name = flowName(a, p, family, l4, "udp", pointName);
        s = new Stream(false, delivery, stream == 0 ? name : name + " stream " + stream);
        table.put(k1, k2, pointId, s);
        udpFlows++;
      }
      udpDatagrams++;
      udp(s, seq, ts, file, frame, packetId);
    }
    if (table.size() > ctx.maxFlows) {
      shrink(ts);
    }
  }

  /**
   * Keeps the flow table bounded: closes (reporting their open holes and gaps) the flows idle for
   * the window, and if that is not enough the least recently seen half.
   */
  private void shrink(long now) {
    long[] last = new long[table.size()];
    int[] n = {0};
    table.forEach(s -> last[n[0]++] = s.lastTs);
    java.util.Arrays.sort(last, 0, n[0]);
    long horizon = Math.max(now - ctx.windowNs, last[n[0] / 2]);
    table.removeIf(s -> s.lastTs <= horizon, this::closeAll);
  }

  private void tcp(
      int pointId,
      String pointName,
      boolean delivery,
      byte[] a,
      int ip,
      long family,
      long k1,
      int l4,
      int l4Len,
      long ts,
      int file,
      long frame,
      long packetId) {
    int dataOff = ((a[l4 + 12] & 0xf0) >> 4) * 4;
    int flags = a[l4 + 13] & 0xff;
    if ((flags & 0x04) != 0) {
      return;
    }
    int segLen =
        Math.max(0, l4Len - dataOff)
            + ((flags & 0x02) != 0 ? 1 : 0)
            + ((flags & 0x01) != 0 ? 1 : 0);
    if (segLen == 0) {
      return;
    }
    int seq = Frames.i32(a, l4 + 4);
    long k2 = ((long) Frames.i32(a, l4) << 32) | (6L << 8) | family;
    Stream s = table.get(k1, k2, pointId);
    if (s == null) {
      s = new Stream(true, delivery, flowName(a, ip, family, l4, "tcp", pointName));
      table.put(k1, k2, pointId, s);
      tcpFlows++;
    }
    tcpSegments++;
    expire(s, ts);
    s.lastTs = ts;
    if (!s.started) {
      s.started = true;
      s.next = seq + segLen;
      return;
    }
    int d = seq - (int) s.next;
    if (d == 0) {
      s.next = seq + segLen;
    } else if (d > 0) {
      s.open(s.next, seq, ts, file, frame, packetId);
      s.next = seq + segLen;
    } else {
      int segEnd = seq + segLen;
      if (s.fill(seq, segEnd)) {
        report(
            s,
            "out-of-order",
            delivery ? Severity.ERROR : Severity.WARNING,
            "segment seq " + u32(seq) + "+" + segLen + " arrived after later data",
            file,
            frame,
            packetId);
      } else if (segLen > 1 || d != -1) {
        report(
            s,
            "retransmission",
            Severity.WARNING,
            "segment seq " + u32(seq) + "+" + segLen + " repeats data already seen",
            file,
            frame,
            packetId);
      }
      if (segEnd - (int) s.next > 0) {
        s.next = segEnd;
      }
    }
  }

  private void udp(Stream s, long seq, long ts, int file, long frame, long packetId) {
    expire(s, ts);
    s.lastTs = ts;
    if (!s.started || seq < s.next - 65536) {
      s.started = true;
      s.next = seq + 1;
      s.clearSeen();
      s.markSeen(seq);
      return;
    }
    if (seq == s.next) {
      s.next = seq + 1;
      s.markSeen(seq);
    } else if (seq > s.next) {
      s.open(s.next, seq, ts, file, frame, packetId);
      for (long q = s.next; q < seq && q < s.next + Stream.SEEN_BITS; q++) {
        s.unmarkSeen(q);
      }
      s.next = seq + 1;
      s.markSeen(seq);
    } else if (seq >= s.next - Stream.SEEN_BITS && s.seen(seq)) {
      report(
          s, "duplicate", Severity.ERROR, "sequence " + seq + " seen again", file, frame, packetId);
    } else {
      s.fill(seq, seq + 1);
      if (seq >= s.next - Stream.SEEN_BITS) {
        s.markSeen(seq);
      }
      report(
          s,
          "reordered",
          Severity.ERROR,
          "sequence " + seq + " arrived after " + (s.next - 1),
          file,
          frame,
          packetId);
    }
  }

  /** Reports the holes/gaps of {@code s} older than the window. */
  private void expire(Stream s, long now) {
    while (s.openCount > 0 && now - s.openTs[0] > ctx.windowNs) {
      reportOpen(s, 0);
      s.removeOpen(0);
    }
  }

  private void reportOpen(Stream s, int i) {
    long from = s.openStart[i];
    long to = s.openEnd[i];
    if (s.tcp) {
      report(
          s,
          "hole",
          Severity.ERROR,
          "bytes "
              + u32((int) from)
              + ".."
              + u32((int) (to - 1))
              + " ("
              + (int) (to - from)
              + ") never seen, later data was",
          s.openFile[i],
          s.openFrame[i],
          s.openPid[i]);
    } else {
      report(
          s,
          "gap",
          Severity.ERROR,
          (to - from == 1 ? "sequence " + from : "sequences " + from + ".." + (to - 1))
              + " never seen, "
              + to
              + " was",
          s.openFile[i],
          s.openFrame[i],
          s.openPid[i]);
    }
  }

  private void closeAll(Stream s) {
    for (int i = 0; i < s.openCount; i++) {
      reportOpen(s, i);
    }
    s.openCount = 0;
  }

  /** Reports every hole and gap still open; call once at the end of the input. */
  void finish() {
    table.forEach(this::closeAll);
  }

  /**
   * Guests were restored from a checkpoint: their streams go on from the cut, not from where they
   * were. Reports what is open and starts every flow afresh.
   */
  void restart() {
    finish();
    table.removeIf(s -> true, s -> {});
  }

  private void report(
      Stream s, String kind, Severity severity, String msg, int file, long frame, long pid) {
    if (!s.delivery && severity == Severity.ERROR && !kind.equals("hole") && !kind.equals("gap")) {
      severity = Severity.WARNING;
    }
    findings.add(
        new Finding(
            s.tcp ? "tcp" : "udp",
            kind,
            severity,
            null,
            s.flow,
            -1,
            List.of(new FrameRef(files.get(file), frame, pid)),
            msg));
  }

  private static String flowName(
      byte[] a, int ip, long family, int l4, String proto, String point) {
    String src;
    String dst;
    if (family == 4) {
      src = Frames.ipv4String(Frames.i32(a, ip + 12));
      dst = Frames.ipv4String(Frames.i32(a, ip + 16));
    } else {
      src = Frames.ipv6String(a, ip + 8);
      dst = Frames.ipv6String(a, ip + 24);
    }
    return src
        + ":"
        + Frames.u16(a, l4)
        + " > "
        + dst
        + ":"
        + Frames.u16(a, l4 + 2)
        + " "
        + proto
        + " at "
        + point;
  }

  private static long u32(int v) {
    return v & 0xffffffffL;
  }

  /** State of one flow direction at one observation point. */
  static final class Stream {
    static final int SEEN_BITS = 1024;
    final boolean tcp;
    final boolean delivery;
    final String flow;
    boolean started;

    /** TCP: next expected sequence (32-bit, wrapping); UDP: highest seen + 1. */
    long next;

    long lastTs;
    int openCount;
    // Allocated at the first hole or gap: most flows never have one.
    long[] openStart;
    long[] openEnd;
    long[] openTs;
    int[] openFile;
    long[] openFrame;
    long[] openPid;
    private long[] seenBits;

    Stream(boolean tcp, boolean delivery, String flow) {
      this.tcp = tcp;
      this.delivery = delivery;
      this.flow = flow;
    }

    void open(long from, long to, long ts, int file, long frame, long pid) {
      if (openStart == null) {
        openStart = new long[MAX_OPEN];
        openEnd = new long[MAX_OPEN];
        openTs = new long[MAX_OPEN];
        openFile = new int[MAX_OPEN];
        openFrame = new long[MAX_OPEN];
        openPid = new long[MAX_OPEN];
      }
      if (openCount == MAX_OPEN) {
        // Merge into the newest so memory stays bounded; the report covers the whole range.
        openEnd[openCount - 1] = to;
        return;
      }
      openStart[openCount] = from;
      openEnd[openCount] = to;
      openTs[openCount] = ts;
      openFile[openCount] = file;
      openFrame[openCount] = frame;
      openPid[openCount] = pid;
      openCount++;
    }

    void removeOpen(int i) {
      int n = openCount - i - 1;
      System.arraycopy(openStart, i + 1, openStart, i, n);
      System.arraycopy(openEnd, i + 1, openEnd, i, n);
      System.arraycopy(openTs, i + 1, openTs, i, n);
      System.arraycopy(openFile, i + 1, openFile, i, n);
      System.arraycopy(openFrame, i + 1, openFrame, i, n);
      System.arraycopy(openPid, i + 1, openPid, i, n);
      openCount--;
    }

    /** Takes [from, to) out of the open ranges; true if it overlapped one. */
    boolean fill(long from, long to) {
      boolean hit = false;
      for (int i = 0; i < openCount; i++) {
        long s = openStart[i];
        long e = openEnd[i];
        if (tcp ? ((int) (from - e) < 0 && (int) (to - s) > 0) : (from < e && to > s)) {
          hit = true;
          boolean coversStart = tcp ? (int) (from - s) <= 0 : from <= s;
          boolean coversEnd = tcp ? (int) (to - e) >= 0 : to >= e;
          if (coversStart && coversEnd) {
            removeOpen(i);
            i--;
          } else if (coversStart) {
            openStart[i] = to;
          } else if (coversEnd) {
            openEnd[i] = from;
          } else {
            // A piece from the middle: keep the head here and the tail as a new range.
            openEnd[i] = from;
            if (openCount < MAX_OPEN) {
              System.arraycopy(openStart, i + 1, openStart, i + 2, openCount - i - 1);
              System.arraycopy(openEnd, i + 1, openEnd, i + 2, openCount - i - 1);
              System.arraycopy(openTs, i + 1, openTs, i + 2, openCount - i - 1);
              System.arraycopy(openFile, i + 1, openFile, i + 2, openCount - i - 1);
              System.arraycopy(openFrame, i + 1, openFrame, i + 2, openCount - i - 1);
              System.arraycopy(openPid, i + 1, openPid, i + 2, openCount - i - 1);
              openStart[i + 1] = to;
              openEnd[i + 1] = e;
              openCount++;
              i++;
            }
          }
        }
      }
      return hit;
    }

    void clearSeen() {
      if (seenBits != null) {
        java.util.Arrays.fill(seenBits, 0);
      }
      openCount = 0;
    }

    void markSeen(long q) {
      if (seenBits == null) {
        seenBits = new long[SEEN_BITS / 64];
      }
      int b = (int) (q & (SEEN_BITS - 1));
      seenBits[b >>> 6] |= 1L << b;
    }

    void unmarkSeen(long q) {
      if (seenBits != null) {
        int b = (int) (q & (SEEN_BITS - 1));
        seenBits[b >>> 6] &= ~(1L << b);
      }
    }

    boolean seen(long q) {
      if (seenBits == null) {
        return false;
      }
      int b = (int) (q & (SEEN_BITS - 1));
      return (seenBits[b >>> 6] & (1L << b)) != 0;
    }
  }
}
