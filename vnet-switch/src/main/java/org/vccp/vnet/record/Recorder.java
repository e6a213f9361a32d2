package org.vccp.vnet.record;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vccp.vnet.forwarding.SwitchCommand;
import org.vccp.vnet.ring.FrameSlot;
import org.vccp.vnet.ring.TrailingConsumer;
import org.vccp.vnet.status.PortCounter;

/**
 * The ring's consumer after the forwarder: writes every ingress, egress and drop event, and the
 * marks it is given, as pcapng (docs/recording-format.md). It never touches the forwarding path:
 * when it falls behind, the ring fills and ingress waits, so no frame is missing from the file.
 * Recording starts and stops through {@link SwitchCommand.Record} at a precise point between
 * frames. An I/O error (disk full) stops recording with the reason in the status; forwarding goes
 * on.
 */
public final class Recorder implements TrailingConsumer {
  private static final Logger LOG = LoggerFactory.getLogger(Recorder.class);
  private static final long FLUSH_EVERY_NS = 200_000_000L;
  private static final int FLUSH_BYTES = 2 * 1024 * 1024;
  private static final int BUFFER_BYTES = 4 * 1024 * 1024;

  private final String version;
  private final Consumer<Boolean> stampIngress;
  private final String[] names;
  private final String[] descriptions;
  private final boolean[] live;
  private final byte[][] dropComments = new byte[PortCounter.values().length][];
  private final byte[] scratch = new byte[65_535 + 8];
  private final byte[][] heldComments;

  /** The direct buffers each file takes and gives back, so that rotation allocates none. */
  private final RecordingBuffers buffers = new RecordingBuffers();

  private RecordingSettings settings;
  private String run;
  private PcapngWriter writer;
  private Path file;
  private int fileIndex;

  /** Files this recording has opened (it said one less once stopped, when it counted indexes). */
  private int filesOpened;

  private long fileOpenedNs;
  private int[] fileIf;
  private int marksIf;
  private long wallOffsetNs;
  private long lastTs;
  private long nowNs;
  private long lastFlushNs;
  private long events;
  private long bytesInClosedFiles;
  private String error;

  /**
   * @param maxPorts the ring's port id range
   * @param version written into each file's section header
   * @param stampIngress turns the ingress timestamps on the ring on and off
   */
  public Recorder(int maxPorts, String version, Consumer<Boolean> stampIngress) {
    this.version = version;
    this.stampIngress = stampIngress;
    this.names = new String[maxPorts];
    this.descriptions = new String[maxPorts];
    this.live = new boolean[maxPorts];
    this.fileIf = new int[maxPorts];
    this.heldComments = new byte[maxPorts][];
    for (PortCounter c : PortCounter.values()) {
      if (c.isDrop()) {
        dropComments[c.id()] = PcapngWriter.utf8("vccp:drop reason=" + c.metricName());
      }
    }
  }

  @Override
  public void onBatchStart(long batchSize, long queueDepth) {
    if (writer != null) {
      nowNs = System.nanoTime();
    }
  }

  @Override
  public void onEvent(FrameSlot slot, long sequence, boolean endOfBatch) {
    try {
      if (slot.kind == FrameSlot.KIND_COMMAND) {
        onCommand((SwitchCommand) slot.command, slot.forwardedNs);
        if (slot.released != null && writer != null) {
          recordReleased(slot);
        }
      } else if (writer != null && slot.kind != FrameSlot.KIND_EMPTY) {
        record(slot, sequence);
      }
      if (endOfBatch && writer != null) {
        if (nowNs - lastFlushNs >= FLUSH_EVERY_NS) {
          writer.flush();
          lastFlushNs = nowNs;
        } else if (writer.buffered() >= FLUSH_BYTES) {
          writer.flushBlocks();
        }
      }
    } catch (UncheckedIOException e) {
      fail(e.getCause());
    }
  }

  /** Frame slots matter only while recording; otherwise the ring hands over commands only. */
  @Override
  public boolean wantsFrames() {
    return writer != null;
  }

  @Override
  public void onShutdown() {
    stop();
  }

  private void onCommand(SwitchCommand command, long atNs) {
    if (command instanceof SwitchCommand.AddPort c) {
      int id = c.port().id();
      names[id] = c.port().spec().name();
      descriptions[id] = c.port().spec().toFlag();
      live[id] = true;
      fileIf[id] = -1;
      if (writer != null) {
        interfaceOf(id);
      }
    } else if (command instanceof SwitchCommand.Hold c) {
      heldComments[c.portId()] = PcapngWriter.utf8("vccp:held epoch=" + c.epoch());
    } else if (command instanceof SwitchCommand.RemovePort c) {
      live[c.portId()] = false;
    } else if (command instanceof SwitchCommand.Record c) {
      if (c.settings() == null) {
        stop();
      } else {
        start(c.settings());
      }
      c.done().complete(status());
    } else if (command instanceof SwitchCommand.RecordStatus c) {
      c.done().complete(status());
    } else if (command instanceof SwitchCommand.Mark c) {
      boolean on = writer != null;
      if (on) {
        writeMark(c.text());
      }
      c.done().complete(on);
    } else if (command instanceof SwitchCommand.EgressUnsent c && writer != null) {
      recordUnsent(c, atNs);
    } else if (command instanceof SwitchCommand.Tick && writer != null) {
      nowNs = System.nanoTime();
      rotateIfDue();
      writer.flush();
      lastFlushNs = nowNs;
    }
  }

  private RecordingStatus status() {
    return new RecordingStatus(
        writer != null,
        run,
        file,
        filesOpened,
        events,
        bytesInClosedFiles + (writer != null ? writer.bytesWritten() : 0),
        error);
  }

  private void start(RecordingSettings s) {
    stop();
    settings = s;
    run = String.format("%012x", ThreadLocalRandom.current().nextLong() & 0xFFFF_FFFF_FFFFL);
    fileIndex = 0;
    filesOpened = 0;
    events = 0;
    bytesInClosedFiles = 0;
    error = null;
    Instant now = Instant.now();
    nowNs = System.nanoTime();
    wallOffsetNs = now.getEpochSecond() * 1_000_000_000L + now.getNano() - nowNs;
    lastTs = 0;
    try {
      Files.createDirectories(s.dir());
      openFile();
    } catch (IOException | UncheckedIOException e) {
      fail(e instanceof UncheckedIOException u ? u.getCause() : e);
      return;
    }
    stampIngress.accept(true);
    LOG.info("recording to {} (run {})", s.dir(), run);
  }

  private void openFile() throws IOException {
    file = fileOfThisRun(fileIndex);
    writer = PcapngWriter.create(file, BUFFER_BYTES, buffers);
    filesOpened++;
    dropOldFiles();
    fileOpenedNs = nowNs;
    lastFlushNs = nowNs;
    writer.writeSectionHeader(
        "vccp " + version,
        String.format(
            "vccp-recording run=%s index=%06d switch=%s started=%s",
            run, fileIndex, settings.switchName(), Instant.now()));
    Arrays.fill(fileIf, -1);
    marksIf = -1;
    for (int id = 0; id < live.length; id++) {
      if (live[id]) {
        interfaceOf(id);
      }
    }
  }

  private Path fileOfThisRun(int index) {
    return settings
        .dir()
        .resolve(String.format("%s-%s-%06d.pcapng", settings.switchName(), run, index));
  }

  /**
   * With a limit on the files kept, deletes the one file of this recording that opening the current
   * one (index {@link #fileIndex}) puts beyond it: each rotation adds one file, so that is the file
   * {@code keepFiles} indexes back.
   */
  private void dropOldFiles() {
    int oldest = fileIndex - settings.keepFiles();
    if (settings.keepFiles() <= 0 || oldest < 0) {
      return;
    }
    Path old = fileOfThisRun(oldest);
    try {
      Files.deleteIfExists(old);
    } catch (IOException e) {
      // recording goes on; the file stays for the user to remove
      LOG.warn("recording: could not delete {} (--record-keep): {}", old, reason(e));
    }
  }

  private void closeFile() {
    PcapngWriter w = writer;
    writer = null;
    bytesInClosedFiles += w.bytesWritten();
    w.close();
  }

  private void stop() {
    if (writer == null) {
      return;
    }
    stampIngress.accept(false);
    try {
      closeFile();
      LOG.info(
          "recording stopped: {} events in {} file(s) in {}", events, filesOpened, settings.dir());
    } catch (UncheckedIOException e) {
      fail(e.getCause());
    }
  }

  private void fail(Throwable e) {
    error = "recording to " + (file != null ? file : settings.dir()) + " failed: " + reason(e);
    LOG.error("{}; recording stopped, forwarding goes on", error);
    stampIngress.accept(false);
    PcapngWriter w = writer;
    writer = null;
    if (w != null) {
      try {
        w.close();
      } catch (RuntimeException ignored) {
        // already failing: the file keeps what reached it
      }
    }
  }

  private static String reason(Throwable e) {
    if (e instanceof java.nio.file.FileAlreadyExistsException f) {
      return f.getFile() + " exists and is not a directory (or the file name is taken)";
    }
    if (e instanceof java.nio.file.FileSystemException f && f.getReason() != null) {
      return f.getFile() + ": " + f.getReason();
    }
    return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
  }

  private void rotateIfDue() {
    boolean bySize = settings.rotateBytes() > 0 && writer.bytesWritten() >= settings.rotateBytes();
    boolean byTime = settings.rotateNs() > 0 && nowNs - fileOpenedNs >= settings.rotateNs();
    if (bySize || byTime) {
      closeFile();
      fileIndex++;
      try {
        openFile();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  private int interfaceOf(int portId) {
    int ifId = fileIf[portId];
    if (ifId < 0) {
      String name = names[portId] != null ? names[portId] : "port" + portId;
      ifId =
          writer.addInterface(
              name, descriptions[portId], PcapngWriter.LINKTYPE_ETHERNET, settings.snapLen());
      fileIf[portId] = ifId;
    }
    return ifId;
  }

  private long timestamp(long monoNs) {
    long ts = wallOffsetNs + monoNs;
    if (ts < lastTs) {
      ts = lastTs;
    }
    lastTs = ts;
    return ts;
  }

  private void record(FrameSlot slot, long id) {
    rotateIfDue();
    int snap = settings.snapLen();
    int len = slot.length;
    int in = slot.ingressPortId;
    if (slot.kind == FrameSlot.KIND_DROPPED) {
      packet(
          in,
          timestamp(slot.receivedNs),
          slot.data,
          len,
          snap,
          0,
          id,
          dropComments[slot.dropReason]);
      return;
    }
    packet(
        in, timestamp(slot.receivedNs), slot.data, len, snap, PcapngWriter.FLAGS_INBOUND, id, null);
    // The frame's bytes are in the file once now; later events of it keep only its headers.
    int cut = Math.min(snap, settings.egressSnapLen());
    long out = timestamp(slot.forwardedNs);
    if (slot.dropReason != FrameSlot.NOT_DROPPED) {
      packet(in, out, slot.data, len, cut, 0, id, dropComments[slot.dropReason]);
    }
    for (int i = 0; i < slot.egressCount; i++) {
      int edit = slot.egressEdits[i];
      int port = slot.egressPorts[i];
      boolean held = (edit & FrameSlot.EDIT_HELD) != 0;
      int flags = held ? PcapngWriter.FLAGS_NOT_DELIVERED : PcapngWriter.FLAGS_OUTBOUND;
      byte[] comment = held ? heldComments[port] : null;
      if (edit == FrameSlot.EDIT_NONE) {
        packet(port, out, slot.data, len, cut, flags, id, comment);
      } else {
        int edited = FrameSlot.applyEdit(slot.data, len, edit, scratch);
        packet(port, out, scratch, edited, cut, flags, id, comment);
      }
    }
    for (int i = 0; i < slot.droppedCount; i++) {
      packet(
          slot.droppedPorts[i],
          out,
          slot.data,
          len,
          cut,
          0,
          id,
          dropComments[slot.droppedReasons[i]]);
    }
  }

  /**
   * One event per frame a port could not send after its egress event was written: no bytes (the
   * ingress event has them), the frame's length and packet id, and what became of it.
   */
  private void recordUnsent(SwitchCommand.EgressUnsent c, long atNs) {
    long ts = timestamp(atNs);
    int ifId = interfaceOf(c.portId());
    String reason = "vccp:unsent reason=" + c.reason().metricName();
    for (int i = 0; i < c.packetIds().length; i++) {
      int from = c.fromPorts()[i];
      String text = from >= 0 && names[from] != null ? reason + " from=" + names[from] : reason;
      writer.writePacket(
          ifId, ts, scratch, 0, 0, c.lengths()[i], 0, c.packetIds()[i], PcapngWriter.utf8(text));
      events++;
    }
  }

  private void recordReleased(FrameSlot slot) {
    long ts = timestamp(slot.forwardedNs);
    int snap = settings.snapLen();
    long replayId = slot.releasedFirstReplayId;
    for (org.vccp.vnet.hold.HeldFrame f : slot.released) {
      byte[] b = f.frame();
      if (f.replayed()) {
        packet(
            slot.releasedPort,
            ts,
            b,
            b.length,
            snap,
            PcapngWriter.FLAGS_OUTBOUND,
            FrameSlot.REPLAY_ID_BIT | replayId++,
            PcapngWriter.utf8(
                "vccp:replay epoch=" + f.epoch() + " from=" + f.origin() + " id=" + f.packetId()));
      } else {
        packet(
            slot.releasedPort,
            ts,
            b,
            b.length,
            snap,
            PcapngWriter.FLAGS_OUTBOUND,
            f.packetId(),
            PcapngWriter.utf8("vccp:release epoch=" + f.epoch()));
      }
    }
  }

  private void packet(
      int portId, long ts, byte[] data, int len, int snap, int flags, long id, byte[] comment) {
    writer.writePacket(
        interfaceOf(portId), ts, data, 0, Math.min(len, snap), len, flags, id, comment);
    events++;
  }

  private void writeMark(String text) {
    if (marksIf < 0) {
      marksIf =
          writer.addInterface("vccp", "VCCP checkpoint marks", PcapngWriter.LINKTYPE_USER0, 65_535);
    }
    byte[] b = PcapngWriter.utf8(text);
    writer.writePacket(marksIf, timestamp(System.nanoTime()), b, 0, b.length, b.length, -1, -1, b);
    events++;
  }
}
