package org.vccp.checkpoint.verify;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.vccp.checkpoint.verify.capture.CaptureInterface;
import org.vccp.checkpoint.verify.capture.CaptureReader;
import org.vccp.checkpoint.verify.capture.PcapngReader;

/**
 * Checks one VCCP recording run (its files in index order, one event stream): channels, checkpoint
 * cuts, channel state and, in a restored run, the replay.
 *
 * <p>Frames are matched by packet id, the ingress sequence number. Pending frames live in a ring
 * indexed by id modulo the window, so memory is fixed by {@code windowFrames}; a frame leaves the
 * ring when the window moves past it (by count or by time), and if no event at any port resolved it
 * by then (egress, drop, hold) it is lost. Held frames move to per-port hold queues until released,
 * bounded by the switch's own hold queues.
 *
 * <p>Cuts come from marks: a frame's sender epoch is the last epoch whose cut of its ingress port
 * preceded its ingress. A delivery to Q of a frame whose sender epoch is newer than Q's is an
 * orphan candidate, confirmed when Q's cut of that epoch comes. Channel state of Q in epoch E is
 * what a pre-cut sender had sent to Q that Q's guest had not got at Q's cut: held at the cut,
 * within the last {@code outq} stream bytes before it, or held or delivered after it until the
 * epoch ends (commit or abort).
 */
final class RecordingAnalyser {
  private static final int RECENT = 64;
  private static final byte DST_OWN = 1;
  private static final byte CHECK_LOSS = 2;

  /** Set in the packet ids of replayed frames (docs/recording-format.md). */
  private static final long REPLAY_ID_BIT = 1L << 62;

  private final VerifyContext ctx;
  private final Findings findings;
  private final Channels channels;
  private final List<String> files;
  private final FlowChecker flows;
  private final Map<Long, Checkpoint> checkpoints;
  private final Map<Long, Epoch> epochsByNumber;
  private final Progress progress;
  private final VerifyReport report;

  // Pending frames, by packet id modulo the ring size.
  private final int mask;
  private final long[] rid;
  private final int[] rPort;
  private final int[] rFile;
  private final long[] rFrame;
  private final long[] rTs;
  private final long[] rEvents;
  private final long[] rDelivered;
  private final byte[] rFlags;
  private final int[] rOwner;
  private final long[] rCut;
  private final Set<Long> wideDelivered = new HashSet<>();

  private final FlowTable<Integer> macs = new FlowTable<>(256);
  private long lowId = Long.MAX_VALUE;
  private long highId = -1;
  private long firstId = -1;
  private long lastTs;
  private long[] cutEpoch = new long[0];
  private final List<Map<Long, Held>> held = new ArrayList<>();
  private final List<Recent> recent = new ArrayList<>();
  private boolean[] live = new boolean[8];
  private int livePorts;
  private final Map<Long, Epoch> epochs = new LinkedHashMap<>();

  /** Epochs with at least one cut and not yet committed or aborted. */
  private final List<Epoch> open = new ArrayList<>();

  private Restore restore;

  RecordingAnalyser(
      VerifyContext ctx,
      Findings findings,
      Channels channels,
      List<String> files,
      FlowChecker flows,
      Map<Long, Checkpoint> checkpoints,
      Map<Long, Epoch> epochsByNumber,
      Progress progress,
      VerifyReport report) {
    this.ctx = ctx;
    this.findings = findings;
    this.channels = channels;
    this.files = files;
    this.flows = flows;
    this.checkpoints = checkpoints;
    this.epochsByNumber = epochsByNumber;
    this.progress = progress;
    this.report = report;
    int cap = Integer.highestOneBit(ctx.windowFrames - 1) << 1;
    mask = cap - 1;
    rid = new long[cap];
    java.util.Arrays.fill(rid, -1);
    rPort = new int[cap];
    rFile = new int[cap];
    rFrame = new long[cap];
    rTs = new long[cap];
    rEvents = new long[cap];
    rDelivered = new long[cap];
    rFlags = new byte[cap];
    rOwner = new int[cap];
    rCut = new long[cap];
  }

  /** Reads a run's files in order and checks them. */
  /** The switch this run recorded (its files' section header), or null if unnamed. */
  private String switchName;

  void analyse(String runId, String switchName, List<Path> runFiles) throws IOException {
    this.switchName = switchName;
    channels.newRun();
    for (Path path : runFiles) {
      int fileIdx = files.size();
      files.add(path.toString());
      report.files++;
      try (CaptureReader r = new PcapngReader(path)) {
        read(r, fileIdx, runId);
      }
    }
    endOfRun();
  }

  private void read(CaptureReader r, int fileIdx, String runId) throws IOException {
    int[] portOf = new int[8];
    int section = -1;
    long n = 0;
    while (r.next()) {
      if (r.sectionNumber() != section) {
        section = r.sectionNumber();
        java.util.Arrays.fill(portOf, -2);
      }
      int ifId = r.interfaceId();
      if (ifId >= portOf.length) {
        int[] bigger = new int[ifId * 2];
        java.util.Arrays.fill(bigger, -2);
        System.arraycopy(portOf, 0, bigger, 0, portOf.length);
        portOf = bigger;
      }
      int port = portOf[ifId];
      if (port == -2) {
        CaptureInterface ci = r.captureInterface();
        port = ci.isMarks() ? -1 : channels.port(ci.name());
        portOf[ifId] = port;
        if (port >= 0) {
          ensurePort(port);
        }
      }
      report.frames++;
      lastTs = r.timestampNs();
      if (port < 0) {
        mark(r, fileIdx);
      } else {
        event(r, fileIdx, port);
      }
      if ((++n & 0xffff) == 0) {
        progress.update(r.position());
      }
    }
    progress.update(r.position());
    progress.fileDone(r.size());
  }

  private void ensurePort(int port) {
    if (port >= cutEpoch.length) {
      long[] bigger = new long[port + 8];
      java.util.Arrays.fill(bigger, -1);
      System.arraycopy(cutEpoch, 0, bigger, 0, cutEpoch.length);
      cutEpoch = bigger;
    }
    while (held.size() <= port) {
      held.add(new LinkedHashMap<>());
      recent.add(new Recent());
    }
  }

  private void event(CaptureReader r, int file, int port) {
    long id = r.packetId();
    int flags = r.flags();
    int dir = flags < 0 ? 0 : flags & 3;
    String comment = r.comment();
    if (id < 0) {
      findings.add(
          new Finding(
              "channel",
              "no-packet-id",
              Severity.WARNING,
              null,
              null,
              -1,
              List.of(ref(file, r.frameNumber(), -1)),
              "event in a VCCP recording without epb_packetid; skipped"));
      return;
    }
    if (port >= live.length) {
      live = java.util.Arrays.copyOf(live, port * 2);
    }
    if (!live[port]) {
      live[port] = true;
      livePorts++;
    }
    if (comment == null || !comment.startsWith("vccp:")) {
      if (dir == 1) {
        ingress(r, file, port, id);
      } else if (dir == 2) {
        deliver(r, file, port, id, false);
      }
      return;
    }
    VccpText t = VccpText.parse(comment);
    switch (t.kind()) {
      case "drop" -> drop(r, file, port, id);
      case "unsent" -> unsent(r, file, port, id, t);
      case "held" -> hold(r, file, port, id, t.number("epoch", -1));
      case "release" -> release(r, file, port, id);
      case "replay" -> replay(r, file, port, id, t);
      default -> {
        if (dir == 1) {
          ingress(r, file, port, id);
        } else if (dir == 2) {
          deliver(r, file, port, id, false);
        }
      }
    }
  }

  private void ingress(CaptureReader r, int file, int port, long id) {
    long ts = r.timestampNs();
    if (firstId < 0) {
      firstId = id;
      lowId = id;
    }
    if (id > highId) {
      highId = id;
    }
    while (lowId <= highId
        && (id - lowId > mask || (ts - rTs[(int) (lowId & mask)] > ctx.windowNs && lowId < id))) {
      evict(lowId, false);
      lowId++;
    }
    int s = (int) (id & mask);
    if (rid[s] >= 0 && rid[s] != id) {
      evict(rid[s], false);
    }
    byte[] a = r.array();
    int off = r.dataOffset();
    int len = r.capturedLength();
    long src = Frames.srcMac(a, off, len);
    long dst = Frames.dstMac(a, off, len);
    int owner = -1;
    byte fl = CHECK_LOSS;
    if (src >= 0 && !Frames.isGroup(src)) {
      Integer known = macs.get(src, 0, 0);
      if (known == null || known != port) {
        macs.put(src, 0, 0, port);
      }
    }
    if (dst >= 0 && !Frames.isGroup(dst)) {
      Integer o = macs.get(dst, 0, 0);
      if (o != null) {
        owner = o;
        if (owner == port) {
          fl = DST_OWN;
        }
      }
    }
    rid[s] = id;
    rPort[s] = port;
    rFile[s] = file;
    rFrame[s] = r.frameNumber();
    rTs[s] = ts;
    rEvents[s] = 0;
    rDelivered[s] = 0;
    rFlags[s] = fl;
    rOwner[s] = owner;
    rCut[s] = cutEpoch[port];
    report.ingress++;
    flows.observe(channels, port, false, r, file, r.frameNumber(), id);
  }

  private int slot(long id) {
    int s = (int) (id & mask);
    return rid[s] == id ? s : -1;
  }

  private static long bit(int port) {
    return 1L << Math.min(port, 63);
  }

  private void drop(CaptureReader r, int file, int port, long id) {
    report.dropped++;
    int s = slot(id);
    if (s >= 0) {
      rEvents[s] |= bit(port);
      if (port != rPort[s]) {
        channels.get(rPort[s], port).stats.dropped++;
      }
    }
  }

  /**
   * A frame that was queued for {@code port} (its egress event counted it delivered) and never
   * reached the peer there: it counts as dropped on its channel instead. When the frame has left
   * the window, the event's {@code from=} names its channel.
   */
  private void unsent(CaptureReader r, int file, int port, long id, VccpText t) {
    if ((firstId < 0 || id < firstId) && (id & REPLAY_ID_BIT) == 0) {
      report.beforeRecording++; // queued before the recording began: never counted delivered
      return;
    }
    report.dropped++;
    int s = slot(id);
    int from;
    boolean wasDelivered;
    if (s >= 0) {
      from = rPort[s];
      rEvents[s] |= bit(port);
      if (port >= 63) {
        wasDelivered = wideDelivered.remove(id * 65536 + port);
      } else {
        wasDelivered = (rDelivered[s] & bit(port)) != 0;
        rDelivered[s] &= ~bit(port);
      }
    } else {
      String name = t.get("from");
      from = name == null ? -1 : channels.find(name);
      wasDelivered = true;
    }
    if (from < 0) {
      return;
    }
    ChannelStats stats = channels.get(from, port).stats;
    if (wasDelivered) {
      stats.delivered--;
    }
    stats.dropped++;
  }

  private void hold(CaptureReader r, int file, int port, long id, long epoch) {
    int s = slot(id);
    if (s < 0) {
      unmatched(r, file, port, id, "held");
      return;
    }
    rEvents[s] |= bit(port);
    Held h = new Held(id, rPort[s], rFile[s], rFrame[s], rCut[s], ref(file, r.frameNumber(), id));
    held.get(port).put(id, h);
    report.held++;
    for (Epoch e : open) {
      if (e.cuts.containsKey(port) && h.senderCut < e.number) {
        e.addState(port, new StateFrame(id, h.from, h.where));
      }
    }
  }

  private void release(CaptureReader r, int file, int port, long id) {
    Held h = held.get(port).remove(id);
    if (h == null) {
      int s = slot(id);
      if (s < 0) {
        unmatched(r, file, port, id, "released");
        return;
      }
      findings.add(
          new Finding(
              "channel",
              "release-without-hold",
              Severity.WARNING,
              channels.name(rPort[s]) + "->" + channels.name(port),
              null,
              -1,
              List.of(ref(file, r.frameNumber(), id)),
              "frame released but never held here"));
      deliver(r, file, port, id, true);
      return;
    }
    int s = slot(id);
    if (s >= 0) {
      deliver(r, file, port, id, true);
    } else {
      // The frame left the window while held: check it from what the hold queue kept.
      Channels.Channel ch = channels.get(h.from, port);
      ch.stats.delivered++;
      fifo(ch, id, file, r.frameNumber());
      flows.observe(channels, port, true, r, file, r.frameNumber(), id);
    }
  }

  private void deliver(CaptureReader r, int file, int port, long id, boolean isRelease) {
    int s = slot(id);
    if (s < 0) {
      unmatched(r, file, port, id, "delivered");
      return;
    }
    int from = rPort[s];
    Channels.Channel ch = channels.get(from, port);
    long frame = r.frameNumber();
    rEvents[s] |= bit(port);
    if (port >= 63) {
      if (!wideDelivered.add(id * 65536 + port)) {
        duplicate(ch, s, file, frame, id);
        return;
      }
    } else if ((rDelivered[s] & bit(port)) != 0) {
      duplicate(ch, s, file, frame, id);
      return;
    }
    rDelivered[s] |= bit(port);
    ch.stats.delivered++;
    report.egress++;
    fifo(ch, id, file, frame);
    long senderCut = rCut[s];
    if (senderCut > cutEpoch[port]) {
      Epoch e = epochs.get(senderCut);
      if (e != null && !e.sealed) {
        e.orphans.add(
            new Orphan(port, ch.name(), ref(file, frame, id), ref(rFile[s], rFrame[s], id)));
      }
    }
    if (!isRelease) {
      for (Epoch e : open) {
        if (e.cuts.containsKey(port) && senderCut < e.number) {
          e.addState(port, new StateFrame(id, from, ref(file, frame, id)));
        }
      }
    }
    recent.get(port).add(id, from, r.originalLength(), senderCut, file, frame);
    if (restore != null) {
      restore.newer(from, port, file, frame, id);
    }
    flows.observe(channels, port, true, r, file, frame, id);
  }

  private void fifo(Channels.Channel ch, long id, int file, long frame) {
    if (ch.lastId > id) {
      ch.stats.reordered++;
      findings.add(
          new Finding(
              "channel",
              "reordered",
              Severity.ERROR,
              ch.name(),
              null,
              -1,
              List.of(ref(file, frame, id), ref(ch.lastFile, ch.lastFrame, ch.lastId)),
              "frame id " + id + " delivered after the later frame id " + ch.lastId));
    } else {
      ch.lastId = id;
      ch.lastFile = file;
      ch.lastFrame = frame;
    }
  }

  private void duplicate(Channels.Channel ch, int s, int file, long frame, long id) {
    ch.stats.duplicates++;
    findings.add(
        new Finding(
            "channel",
            "duplicate",
            Severity.ERROR,
            ch.name(),
            null,
            -1,
            List.of(ref(file, frame, id), ref(rFile[s], rFrame[s], id)),
            "frame id " + id + " delivered more than once"));
  }

  private void unmatched(CaptureReader r, int file, int port, long id, String what) {
    if (firstId >= 0 && id >= firstId && id >= lowId) {
      findings.add(
          new Finding(
              "channel",
              "unmatched",
              Severity.ERROR,
              "?->" + channels.name(port),
              null,
              -1,
              List.of(ref(file, r.frameNumber(), id)),
              "frame id " + id + " " + what + " but never seen at ingress"));
    } else if (firstId >= 0 && id >= firstId) {
      findings.add(
          new Finding(
              "channel",
              "outside-window",
              Severity.WARNING,
              "?->" + channels.name(port),
              null,
              -1,
              List.of(ref(file, r.frameNumber(), id)),
              "frame id "
                  + id
                  + " "
                  + what
                  + " after it left the analysis window; raise --window"));
    } else {
      report.beforeRecording++;
    }
  }

  private void evict(long id, boolean atEnd) {
    int s = (int) (id & mask);
    if (rid[s] != id) {
      return;
    }
    rid[s] = -1;
    if (rEvents[s] != 0 || (rFlags[s] & CHECK_LOSS) == 0 || livePorts < 2) {
      return;
    }
    int from = rPort[s];
    int to = rOwner[s] >= 0 ? rOwner[s] : channels.port(Channels.ANY);
    Channels.Channel ch = channels.get(from, to);
    if (atEnd && rTs[s] >= lastTs - ctx.graceNs) {
      ch.stats.inFlight++;
      return;
    }
    ch.stats.lost++;
    findings.add(
        new Finding(
            "channel",
            "lost",
            Severity.ERROR,
            ch.name(),
            null,
            -1,
            List.of(ref(rFile[s], rFrame[s], id)),
            "frame id "
                + id
                + " entered at "
                + channels.name(from)
                + " and was never delivered, dropped or held"));
  }

  // ---- marks -------------------------------------------------------------------------------

  private void mark(CaptureReader r, int file) {
    String text = r.comment();
    if (text == null) {
      text =
          new String(
              r.array(),
              r.dataOffset(),
              r.capturedLength(),
              java.nio.charset.StandardCharsets.UTF_8);
    }
    VccpText t = VccpText.parse(text);
    if (t == null || !t.kind().equals("mark")) {
      return;
    }
    report.marks++;
    long number = t.number("epoch", -1);
    String phase = t.get("phase");
    if (number < 0 || phase == null) {
      return;
    }
    FrameRef where = ref(file, r.frameNumber(), r.packetId());
    Epoch e = epochs.computeIfAbsent(number, Epoch::new);
    switch (phase) {
      case "cut" -> {
        String portName = t.get("port");
        if (portName == null) {
          return;
        }
        int port = channels.port(portName);
        ensurePort(port);
        cut(e, port, where, t.number("outq", 0));
      }
      case "commit" -> seal(e, true);
      case "abort" -> {
        e.orphans.clear();
        seal(e, false);
      }
      case "restore" -> startRestore(number, where);
      // frames of the abandoned run that were still on links arrive between restore and settle;
      // the restored run's flows start after it
      case "settle" -> {
        // what the restored ports still held was dropped by the restore (the mark's dropped=)
        for (int p = 0; p < held.size(); p++) {
          for (Held h : held.get(p).values()) {
            channels.get(h.from, p).stats.dropped++;
            report.dropped++;
          }
          held.get(p).clear();
        }
        flows.restart();
      }
      default -> {}
    }
  }

  private void cut(Epoch e, int port, FrameRef where, long outq) {
    if (e.sealed) {
      return;
    }
    cutEpoch[port] = Math.max(cutEpoch[port], e.number);
    e.cuts.put(port, where);
    if (!open.contains(e)) {
      open.add(e);
    }
    List<StateFrame> state = e.state(port);
    if (outq > 0) {
      for (StateFrame f : recent.get(port).lastBytes(outq, e.number, this)) {
        state.add(f);
      }
    }
    for (Held h : held.get(port).values()) {
      if (h.senderCut < e.number) {
        e.addState(port, new StateFrame(h.id, h.from, h.where));
      }
    }
    for (Orphan o : e.orphans) {
      if (o.to == port) {
        report.orphans++;
        findings.add(
            new Finding(
                "checkpoint",
                "orphan",
                Severity.ERROR,
                o.channel,
                null,
                e.number,
                List.of(o.delivery, o.ingress, where),
                "frame sent after its sender's cut was delivered before the receiver's cut"));
      }
    }
    e.orphans.removeIf(o -> o.to == port);
  }

  private void seal(Epoch e, boolean committed) {
    if (e.sealed) {
      return;
    }
    e.sealed = true;
    e.committed = committed;
    open.remove(e);
    e.orphans.clear();
    epochsByNumber.put(e.number, e);
    Checkpoint c = checkpoints.get(e.number);
    if (c != null && committed) {
      compareChannelState(e, c);
    }
  }

  private void compareChannelState(Epoch e, Checkpoint c) {
    report.checkpointsChecked++;
    Map<String, List<Checkpoint.Entry>> state = c.channelsOn(switchName);
    Set<String> ports = new java.util.TreeSet<>(state.keySet());
    for (int p : e.cuts.keySet()) {
      ports.add(channels.name(p));
    }
    for (String to : ports) {
      int toPort = channels.port(to);
      Map<String, List<StateFrame>> expected = new LinkedHashMap<>();
      for (StateFrame f : e.state.getOrDefault(toPort, List.of())) {
        expected.computeIfAbsent(channels.name(f.from), k -> new ArrayList<>()).add(f);
      }
      Map<String, List<Checkpoint.Entry>> actual = new LinkedHashMap<>();
      for (Checkpoint.Entry x : state.getOrDefault(to, List.of())) {
        actual.computeIfAbsent(x.from(), k -> new ArrayList<>()).add(x);
      }
      Set<String> froms = new java.util.TreeSet<>(expected.keySet());
      froms.addAll(actual.keySet());
      for (String from : froms) {
        String chName = from + "->" + to;
        List<StateFrame> exp = expected.getOrDefault(from, List.of());
        List<Checkpoint.Entry> act = actual.getOrDefault(from, List.of());
        Set<Long> actIds = new HashSet<>();
        act.forEach(x -> actIds.add(x.packetId()));
        Set<Long> expIds = new HashSet<>();
        exp.forEach(x -> expIds.add(x.id));
        List<Long> expCommon = new ArrayList<>();
        for (StateFrame f : exp) {
          if (!actIds.contains(f.id)) {
            report.channelStateProblems++;
            findings.add(
                new Finding(
                    "checkpoint",
                    "lost-at-checkpoint",
                    Severity.ERROR,
                    chName,
                    null,
                    e.number,
                    List.of(f.where),
                    "frame id "
                        + f.id
                        + " was in flight to "
                        + to
                        + " at the cut but is not in "
                        + c.dir.resolve("channel-" + to + ".pcapng")));
          } else {
            expCommon.add(f.id);
          }
        }
        List<Checkpoint.Entry> actCommon = new ArrayList<>();
        for (Checkpoint.Entry x : act) {
          if (!expIds.contains(x.packetId())) {
            report.channelStateProblems++;
            findings.add(
                new Finding(
                    "checkpoint",
                    "extra-in-channel-state",
                    Severity.ERROR,
                    chName,
                    null,
                    e.number,
                    List.of(x.ref()),
                    "channel file holds frame id "
                        + x.packetId()
                        + " that the recording does not show in flight at the cut"));
          } else {
            actCommon.add(x);
          }
        }
        for (int i = 0; i < Math.min(expCommon.size(), actCommon.size()); i++) {
          if (expCommon.get(i) != actCommon.get(i).packetId()) {
            report.channelStateProblems++;
            findings.add(
                new Finding(
                    "checkpoint",
                    "channel-state-order",
                    Severity.ERROR,
                    chName,
                    null,
                    e.number,
                    List.of(actCommon.get(i).ref()),
                    "channel file has frame id "
                        + actCommon.get(i).packetId()
                        + " where id "
                        + expCommon.get(i)
                        + " was queued"));
            break;
          }
        }
      }
    }
  }

  // ---- restore ------------------------------------------------------------------------------

  private void startRestore(long epoch, FrameRef where) {
    restore = new Restore(epoch);
    flows.restart();
    report.restoresChecked++;
    Checkpoint c = checkpoints.get(epoch);
    if (c != null) {
      for (Map.Entry<String, List<Checkpoint.Entry>> to : c.channelsOn(switchName).entrySet()) {
        int toPort = channels.port(to.getKey());
        for (Checkpoint.Entry x : to.getValue()) {
          restore.expect(channels.port(x.from()), toPort, x.packetId(), x.ref());
        }
      }
      return;
    }
    Epoch e = epochsByNumber.get(epoch);
    if (e != null) {
      for (Map.Entry<Integer, List<StateFrame>> to : e.state.entrySet()) {
        for (StateFrame f : to.getValue()) {
          restore.expect(f.from, to.getKey(), f.id, f.where);
        }
      }
      return;
    }
    restore.unknown = true;
    findings.add(
        new Finding(
            "restore",
            "no-channel-state",
            Severity.WARNING,
            null,
            null,
            epoch,
            List.of(where),
            "run restored from epoch "
                + epoch
                + " but neither its checkpoint (--checkpoint)"
                + " nor the recording of the run it was taken in is given; replays not checked"));
  }

  private void replay(CaptureReader r, int file, int port, long id, VccpText t) {
    String fromName = t.get("from");
    long original = t.number("id", -1);
    long epoch = t.number("epoch", -1);
    FrameRef where = ref(file, r.frameNumber(), id);
    report.replays++;
    int from = fromName == null ? channels.port(Channels.ANY) : channels.port(fromName);
    ensurePort(from);
    Channels.Channel ch = channels.get(from, port);
    ch.stats.delivered++;
    flows.observe(channels, port, true, r, file, r.frameNumber(), id);
    if (restore == null || restore.epoch != epoch) {
      findings.add(
          new Finding(
              "restore",
              "replay-without-restore",
              Severity.ERROR,
              ch.name(),
              null,
              epoch,
              List.of(where),
              "replay of epoch " + epoch + " outside a run restored from it"));
      return;
    }
    if (restore.unknown) {
      return;
    }
    Restore.Expected x = restore.channels.get(Restore.key(from, port));
    int i = x == null ? -1 : x.ids.indexOf(original);
    if (i < 0) {
      report.replayProblems++;
      findings.add(
          new Finding(
              "restore",
              "replay-not-in-channel-state",
              Severity.ERROR,
              ch.name(),
              null,
              epoch,
              List.of(where),
              "replayed frame (original id " + original + ") is not in the channel state"));
      return;
    }
    if (x.replayedAt[i] != null) {
      report.replayProblems++;
      findings.add(
          new Finding(
              "restore",
              "replayed-twice",
              Severity.ERROR,
              ch.name(),
              null,
              epoch,
              List.of(where, x.replayedAt[i], x.source.get(i)),
              "channel-state frame (original id " + original + ") replayed more than once"));
      return;
    }
    x.replayedAt[i] = where;
    x.replayed++;
    if (x.newer != null) {
      report.replayProblems++;
      findings.add(
          new Finding(
              "restore",
              "replayed-after-newer",
              Severity.ERROR,
              ch.name(),
              null,
              epoch,
              List.of(where, x.newer, x.source.get(i)),
              "channel-state frame (original id "
                  + original
                  + ") replayed after a newer frame on the same channel"));
    } else if (i < x.next) {
      report.replayProblems++;
      findings.add(
          new Finding(
              "restore",
              "replayed-out-of-order",
              Severity.ERROR,
              ch.name(),
              null,
              epoch,
              List.of(where, x.source.get(i)),
              "channel-state frame (original id " + original + ") replayed after a later one"));
    }
    x.next = Math.max(x.next, i + 1);
  }

  private void endOfRun() {
    for (long id = lowId; id <= highId; id++) {
      evict(id, true);
    }
    for (int p = 0; p < held.size(); p++) {
      for (Held h : held.get(p).values()) {
        channels.get(h.from, p).stats.inFlight++;
        report.heldAtEnd++;
      }
    }
    for (Epoch e : epochs.values()) {
      seal(e, e.cuts.size() > 0 && checkpoints.containsKey(e.number));
    }
    if (restore != null && !restore.unknown) {
      for (Restore.Expected x : restore.channels.values()) {
        for (int i = 0; i < x.ids.size(); i++) {
          if (x.replayedAt[i] == null) {
            report.replayProblems++;
            findings.add(
                new Finding(
                    "restore",
                    "not-replayed",
                    Severity.ERROR,
                    x.channel,
                    null,
                    restore.epoch,
                    List.of(x.source.get(i)),
                    "channel-state frame (original id "
                        + x.ids.get(i)
                        + ") was never replayed in the restored run"));
          }
        }
      }
    }
  }

  private FrameRef ref(int file, long frame, long id) {
    return new FrameRef(files.get(file), frame, id);
  }

  // ---- state types --------------------------------------------------------------------------

  /** A frame in a hold queue. */
  private record Held(long id, int from, int file, long frame, long senderCut, FrameRef where) {}

  /** A frame in a computed channel state. */
  record StateFrame(long id, int from, FrameRef where) {}

  private record Orphan(int to, String channel, FrameRef delivery, FrameRef ingress) {}

  /** One checkpoint epoch as the recording shows it. */
  static final class Epoch {
    final long number;
    final Map<Integer, FrameRef> cuts = new HashMap<>();
    final Map<Integer, List<StateFrame>> state = new LinkedHashMap<>();
    final List<Orphan> orphans = new ArrayList<>();
    boolean sealed;
    boolean committed;

    Epoch(long number) {
      this.number = number;
    }

    List<StateFrame> state(int port) {
      return state.computeIfAbsent(port, k -> new ArrayList<>());
    }

    void addState(int port, StateFrame f) {
      List<StateFrame> l = state(port);
      for (StateFrame g : l) {
        if (g.id == f.id) {
          return;
        }
      }
      l.add(f);
    }
  }

  /** The last few deliveries to a port, for a cut's {@code outq} bytes. */
  private static final class Recent {
    final long[] ids = new long[RECENT];
    final int[] from = new int[RECENT];
    final int[] bytes = new int[RECENT];
    final long[] senderCut = new long[RECENT];
    final int[] file = new int[RECENT];
    final long[] frame = new long[RECENT];
    int count;

    void add(long id, int fromPort, int length, long cut, int fileIdx, long frameNo) {
      int i = count++ % RECENT;
      ids[i] = id;
      from[i] = fromPort;
      bytes[i] = length;
      senderCut[i] = cut;
      file[i] = fileIdx;
      frame[i] = frameNo;
    }

    /**
     * Frames whose bytes lie at least partly in the last {@code outq} bytes written, oldest first.
     * Each frame counts its length plus the 4-byte stream length prefix.
     */
    List<StateFrame> lastBytes(long outq, long epoch, RecordingAnalyser a) {
      List<StateFrame> out = new ArrayList<>();
      long sum = 0;
      for (int k = 1; k <= Math.min(count, RECENT) && sum < outq; k++) {
        int i = (count - k) % RECENT;
        sum += bytes[i] + 4;
        if (senderCut[i] < epoch) {
          out.add(0, new StateFrame(ids[i], from[i], a.ref(file[i], frame[i], ids[i])));
        }
      }
      return out;
    }
  }

  /** What a restored run must replay, per channel. */
  private final class Restore {
    final long epoch;
    final Map<Long, Expected> channels = new HashMap<>();
    boolean unknown;

    Restore(long epoch) {
      this.epoch = epoch;
    }

    static long key(int from, int to) {
      return ((long) from << 32) | to;
    }

    void expect(int from, int to, long id, FrameRef source) {
      Expected x =
          channels.computeIfAbsent(
              key(from, to),
              k ->
                  new Expected(
                      RecordingAnalyser.this.channels.name(from)
                          + "->"
                          + RecordingAnalyser.this.channels.name(to)));
      x.ids.add(id);
      x.source.add(source);
      x.replayedAt = java.util.Arrays.copyOf(x.replayedAt, x.ids.size());
    }

    void newer(int from, int to, int file, long frame, long id) {
      Expected x = channels.get(key(from, to));
      if (x != null && x.newer == null && x.replayed < x.ids.size()) {
        x.newer = ref(file, frame, id);
      }
    }

    final class Expected {
      final String channel;
      final List<Long> ids = new ArrayList<>();
      final List<FrameRef> source = new ArrayList<>();
      FrameRef[] replayedAt = new FrameRef[0];
      int next;
      int replayed;
      FrameRef newer;

      Expected(String channel) {
        this.channel = channel;
      }
    }
  }
}
