package org.vccp.checkpoint.verify;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.vccp.checkpoint.verify.capture.CaptureFiles;
import org.vccp.checkpoint.verify.capture.CaptureInterface;
import org.vccp.checkpoint.verify.capture.CaptureReader;

/**
 * Checks plain captures (tcpdump on each tap, or any pcap/pcapng), merged by timestamp, where
 * frames carry no packet id and are matched by content.
 *
 * <p>A MAC address belongs to the interface it is first seen on as a source. A frame seen on the
 * interface that owns its source MAC is <em>sent</em> there; it is expected on the owner of its
 * destination MAC, or on every other interface when the destination is broadcast or multicast. An
 * unknown unicast destination may be flooded: its copies are matched when they appear but not
 * required. A frame seen on any other interface is <em>delivered</em> there and matched, by a
 * 64-bit hash of its bytes, against the frames its source's owner sent to this interface, oldest
 * first. A match past the oldest is delivered ahead of the frames it overtook; those are reordered
 * when they come, lost when the window passes them.
 */
final class CaptureAnalyser {
  private static final int RECENT = 256;

  private final VerifyContext ctx;
  private final Findings findings;
  private final Channels channels;
  private final List<String> files;
  private final FlowChecker flows;
  private final Progress progress;
  private final VerifyReport report;
  private final FlowTable<Integer> owners = new FlowTable<>(256);
  private final Map<Long, Pending> pending = new HashMap<>();
  private final List<Integer> ports = new ArrayList<>();
  private final Map<String, Integer> nameFile = new HashMap<>();
  private long lastTs;

  CaptureAnalyser(
      VerifyContext ctx,
      Findings findings,
      Channels channels,
      List<String> files,
      FlowChecker flows,
      Progress progress,
      VerifyReport report) {
    this.ctx = ctx;
    this.findings = findings;
    this.channels = channels;
    this.files = files;
    this.flows = flows;
    this.progress = progress;
    this.report = report;
  }

  void analyse(List<Path> paths) throws IOException {
    int n = paths.size();
    CaptureReader[] readers = new CaptureReader[n];
    int[] fileIdx = new int[n];
    boolean[] live = new boolean[n];
    List<Map<String, Integer>> portOf = new ArrayList<>();
    try {
      for (int i = 0; i < n; i++) {
        readers[i] = CaptureFiles.open(paths.get(i));
        fileIdx[i] = files.size();
        files.add(paths.get(i).toString());
        report.files++;
        live[i] = readers[i].next();
        portOf.add(new HashMap<>());
      }
      for (int i = 0; i < n; i++) {
        if (live[i]) {
          port(readers[i], portOf.get(i), paths.get(i), i);
        }
      }
      long count = 0;
      while (true) {
        int best = -1;
        for (int i = 0; i < n; i++) {
          if (live[i] && (best < 0 || readers[i].timestampNs() < readers[best].timestampNs())) {
            best = i;
          }
        }
        if (best < 0) {
          break;
        }
        CaptureReader r = readers[best];
        int port = port(r, portOf.get(best), paths.get(best), best);
        frame(r, fileIdx[best], port);
        if ((++count & 0xffff) == 0) {
          progress.update(r.position());
          sweep();
        }
        live[best] = r.next();
        if (!live[best]) {
          progress.fileDone(r.size());
        }
      }
    } finally {
      for (CaptureReader r : readers) {
        if (r != null) {
          r.close();
        }
      }
    }
    finish();
  }

  private int port(CaptureReader r, Map<String, Integer> cache, Path path, int file) {
    String key = r.sectionNumber() + "/" + r.interfaceId();
    Integer p = cache.get(key);
    if (p == null) {
      CaptureInterface ci = r.captureInterface();
      String fileName = path.getFileName().toString();
      String base = fileName.replaceFirst("\\.(pcapng|pcap)$", "");
      boolean madeUp = ci.name().equals(fileName) || ci.name().startsWith(fileName + "#");
      String name = madeUp ? base : ci.name();
      Integer usedBy = nameFile.get(name);
      if (usedBy != null && usedBy != file) {
        name = base + ":" + name;
      }
      nameFile.putIfAbsent(name, file);
      p = channels.port(name);
      cache.put(key, p);
      if (!ports.contains(p)) {
        ports.add(p);
        report.captureInterfaces++;
      }
    }
    return p;
  }

  private void frame(CaptureReader r, int file, int port) {
    report.frames++;
    long ts = r.timestampNs();
    lastTs = ts;
    byte[] a = r.array();
    int off = r.dataOffset();
    int len = r.capturedLength();
    int linkType = r.captureInterface().linkType();
    if (!Frames.isEthernet(linkType) || len < 14) {
      flows.observe(channels, port, false, r, file, r.frameNumber(), r.packetId());
      return;
    }
    long src = Frames.srcMac(a, off, len);
    long dst = Frames.dstMac(a, off, len);
    Integer owner = owners.get(src, 0, 0);
    if (owner == null) {
      owner = port;
      owners.put(src, 0, 0, owner);
    }
    long hash = Frames.hash(a, off, len);
    if (owner == port) {
      report.ingress++;
      boolean group = Frames.isGroup(dst);
      Integer dstOwner = group ? null : owners.get(dst, 0, 0);
      for (int q : ports) {
        if (q == port) {
          continue;
        }
        boolean required = group || (dstOwner != null && dstOwner == q);
        if (!required && dstOwner != null) {
          continue;
        }
        Pending pq = pending(port, q);
        pq.add(hash, ts, file, r.frameNumber(), r.packetId(), required);
        if (required) {
          pq.channel.stats.sent++;
        }
        expire(pq, ts);
      }
      flows.observe(channels, port, false, r, file, r.frameNumber(), r.packetId());
    } else {
      report.egress++;
      deliver(pending(owner, port), hash, ts, file, r.frameNumber(), r.packetId());
      flows.observe(channels, port, true, r, file, r.frameNumber(), r.packetId());
    }
  }

  private Pending pending(int from, int to) {
    long key = ((long) from << 32) | to;
    Pending p = pending.get(key);
    if (p == null) {
      p = new Pending(channels.get(from, to));
      pending.put(key, p);
    }
    return p;
  }

  private void deliver(Pending q, long hash, long ts, int file, long frame, long pid) {
    Channels.Channel ch = q.channel;
    int i = q.find(hash);
    if (i < 0) {
      int d = q.recentIndex(hash);
      if (d >= 0) {
        ch.stats.duplicates++;
        findings.add(
            new Finding(
                "channel",
                "duplicate",
                Severity.ERROR,
                ch.name(),
                null,
                -1,
                List.of(
                    new FrameRef(files.get(file), frame, pid),
                    new FrameRef(files.get(q.recentFile[d]), q.recentFrame[d], -1)),
                "same bytes delivered again"));
      } else {
        findings.add(
            new Finding(
                "channel",
                "unmatched",
                Severity.WARNING,
                ch.name(),
                null,
                -1,
                List.of(new FrameRef(files.get(file), frame, pid)),
                "delivered frame was not seen sent on " + ch.name().split("->")[0]));
      }
      return;
    }
    ch.stats.delivered++;
    if (q.overtaken[i]) {
      ch.stats.reordered++;
      findings.add(
          new Finding(
              "channel",
              "reordered",
              Severity.ERROR,
              ch.name(),
              null,
              -1,
              List.of(
                  new FrameRef(files.get(file), frame, pid),
                  new FrameRef(files.get(ch.lastFile), ch.lastFrame, -1),
                  new FrameRef(files.get(q.file[i]), q.frame[i], q.pid[i])),
              "frame delivered after a frame sent later"));
    } else {
      for (int k = q.head; k != i; k = (k + 1) & q.mask) {
        if (!q.required[k]) {
          q.matched[k] = true;
        } else if (!q.matched[k]) {
          q.overtaken[k] = true;
        }
      }
      ch.lastFile = file;
      ch.lastFrame = frame;
    }
    q.matched[i] = true;
    q.remember(hash, file, frame);
    q.popMatched();
  }

  private void expire(Pending q, long now) {
    while (q.size() > 0 && (now - q.ts[q.head] > ctx.windowNs || q.size() > ctx.windowFrames)) {
      expireHead(q, false);
    }
  }

  private void expireHead(Pending q, boolean atEnd) {
    int h = q.head;
    if (!q.matched[h] && q.required[h]) {
      Channels.Channel ch = q.channel;
      if (atEnd && q.ts[h] >= lastTs - ctx.graceNs) {
        ch.stats.inFlight++;
      } else {
        ch.stats.lost++;
        findings.add(
            new Finding(
                "channel",
                "lost",
                Severity.ERROR,
                ch.name(),
                null,
                -1,
                List.of(new FrameRef(files.get(q.file[h]), q.frame[h], q.pid[h])),
                "frame sent on "
                    + ch.name().split("->")[0]
                    + " never appeared on "
                    + ch.name().split("->")[1]));
      }
    }
    q.matched[h] = true;
    q.popMatched();
  }

  private void sweep() {
    for (Pending q : pending.values()) {
      expire(q, lastTs);
    }
  }

  private void finish() {
    for (Pending q : pending.values()) {
      while (q.size() > 0) {
        expireHead(q, true);
      }
    }
  }

  /** Frames sent on one channel and not yet delivered, oldest first, in a growable ring. */
  private static final class Pending {
    final Channels.Channel channel;
    int mask = 63;
    long[] hash = new long[64];
    long[] ts = new long[64];
    int[] file = new int[64];
    long[] frame = new long[64];
    long[] pid = new long[64];
    boolean[] required = new boolean[64];
    boolean[] matched = new boolean[64];
    boolean[] overtaken = new boolean[64];
    int head;
    int tail;
    final long[] recentHash = new long[RECENT];
    final int[] recentFile = new int[RECENT];
    final long[] recentFrame = new long[RECENT];
    int recentCount;

    Pending(Channels.Channel channel) {
      this.channel = channel;
    }

    int size() {
      return (tail - head) & mask;
    }

    void add(long h, long t, int f, long fr, long p, boolean req) {
      if (size() == mask) {
        grow();
      }
      hash[tail] = h;
      ts[tail] = t;
      file[tail] = f;
      frame[tail] = fr;
      pid[tail] = p;
      required[tail] = req;
      matched[tail] = false;
      overtaken[tail] = false;
      tail = (tail + 1) & mask;
    }

    private void grow() {
      int n = mask + 1;
      int size = size();
      long[] h2 = new long[n * 2];
      long[] t2 = new long[n * 2];
      int[] f2 = new int[n * 2];
      long[] fr2 = new long[n * 2];
      long[] p2 = new long[n * 2];
      boolean[] r2 = new boolean[n * 2];
      boolean[] m2 = new boolean[n * 2];
      boolean[] o2 = new boolean[n * 2];
      for (int k = 0; k < size; k++) {
        int j = (head + k) & mask;
        h2[k] = hash[j];
        t2[k] = ts[j];
        f2[k] = file[j];
        fr2[k] = frame[j];
        p2[k] = pid[j];
        r2[k] = required[j];
        m2[k] = matched[j];
        o2[k] = overtaken[j];
      }
      hash = h2;
      ts = t2;
      file = f2;
      frame = fr2;
      pid = p2;
      required = r2;
      matched = m2;
      overtaken = o2;
      head = 0;
      tail = size;
      mask = n * 2 - 1;
    }

    /** Index of the oldest unmatched pending frame with this hash, or -1. */
    int find(long h) {
      for (int k = head; k != tail; k = (k + 1) & mask) {
        if (!matched[k] && hash[k] == h) {
          return k;
        }
      }
      return -1;
    }

    void popMatched() {
      while (head != tail && matched[head]) {
        head = (head + 1) & mask;
      }
    }

    void remember(long h, int f, long fr) {
      int i = recentCount++ % RECENT;
      recentHash[i] = h;
      recentFile[i] = f;
      recentFrame[i] = fr;
    }

    int recentIndex(long h) {
      for (int k = 0; k < Math.min(recentCount, RECENT); k++) {
        if (recentHash[k] == h) {
          return k;
        }
      }
      return -1;
    }
  }
}
