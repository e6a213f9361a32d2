package org.vccp.checkpoint.protocol;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vccp.checkpoint.store.ChannelStateFile;
import org.vccp.checkpoint.store.Manifest;
import org.vccp.checkpoint.store.Sha256;
import org.vccp.vnet.VirtualSwitch;
import org.vccp.vnet.forwarding.MacTable;
import org.vccp.vnet.hold.HeldFrame;
import org.vccp.vnet.port.Port;
import org.vccp.vnet.status.PortCounter;

/**
 * One host's side of the protocol: owns the host's switch and the hypervisors of its guests. Every
 * failure leaves no guest paused and no hold on: the coordinator calls {@link #abort}, and if the
 * coordinator goes silent after {@link #prepare} the agent aborts by itself.
 *
 * <p>The silence is counted from the end of the coordinator's last request (a long snapshot is not
 * silence), so it does not depend on how the coordinator reaches the agent: in-process, or over a
 * TCP connection ({@link AgentServer}) that may drop. A coordinator that comes back within the
 * silence timeout can still snapshot, resume or abort the epoch; after it, those requests fail with
 * "epoch N was abandoned".
 *
 * <p>Progress lines are written on the thread doing the step, before it goes on, so they mark the
 * phases exactly: {@code "epoch N: holding K port(s)"} (every port held, no guest stopped yet) and
 * {@code "epoch N: saving K guest(s)"} (every guest stopped and its cut marked, no image written
 * yet). Fault-injection tests kill a guest from the {@link Progress} callback on these lines.
 */
public final class Agent implements AgentLink {
  private static final Logger LOG = LoggerFactory.getLogger(Agent.class);
  private static final int ABANDONED_REMEMBERED = 16;

  private final String host;
  private final VirtualSwitch sw;
  private final Supplier<List<Hypervisor>> guests;
  private final ProtocolSettings settings;
  private final Progress progress;
  private final ExecutorService workers =
      Executors.newCachedThreadPool(r -> daemon(r, "vccp-agent"));
  private final ScheduledExecutorService watchdog =
      Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "vccp-agent-watchdog"));
  private final List<Hypervisor> stopped = new ArrayList<>();
  private final List<String> held = new ArrayList<>();
  private ScheduledFuture<?> silenceTimer;
  private long silenceTimerGeneration;
  private boolean active;
  private final Map<Long, String> abandoned =
      new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, String> eldest) {
          return size() > ABANDONED_REMEMBERED;
        }
      };
  private volatile java.time.Duration naiveStopGap = java.time.Duration.ZERO;
  private long epoch = -1;

  public Agent(
      String host,
      VirtualSwitch sw,
      Supplier<List<Hypervisor>> guests,
      ProtocolSettings settings,
      Progress progress) {
    this.host = host;
    this.sw = sw;
    this.guests = guests;
    this.settings = settings;
    this.progress = progress;
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  @Override
  public String host() {
    return host;
  }

  @Override
  public synchronized Prepared prepare(long e, boolean naive) throws CheckpointException {
    if (active || !held.isEmpty() || !stopped.isEmpty()) {
      throw new CheckpointException(
          null,
          "prepare",
          "epoch " + epoch + " is still in progress on host " + host,
          "wait for it to end (at most the agent's coordinator-silence timeout)",
          null);
    }
    epoch = e;
    active = true;
    armSilenceTimer(e);
    try {
      return prepareHeld(e, naive);
    } finally {
      if (active) {
        armSilenceTimer(e);
      }
    }
  }

  private Prepared prepareHeld(long e, boolean naive) throws CheckpointException {
    List<Hypervisor> gs = guests.get();
    mark("vccp:mark epoch=" + e + " phase=begin" + (naive ? " mode=naive" : ""));
    for (Hypervisor g : gs) {
      if (!g.isAlive()) {
        throw new CheckpointException(
            g.name(),
            "prepare",
            "the guest is not running",
            "restart it or restore the cluster",
            null);
      }
      port(g);
    }
    if (!naive) {
      for (Hypervisor g : gs) {
        sw.hold(g.port(), e);
        held.add(g.port());
        mark("vccp:mark epoch=" + e + " phase=hold port=" + g.port());
      }
      progress.step("epoch " + e + ": holding " + held.size() + " port(s)");
      for (Hypervisor g : gs) {
        awaitConsumed(g);
      }
    }
    long firstStop = WallClock.nowNs();
    if (naive) {
      stopOneByOne(gs);
    } else {
      parallel(
          gs,
          "prepare",
          g -> {
            g.stop(settings.qmp());
            synchronized (stopped) {
              stopped.add(g);
            }
            return null;
          },
          "check the guest's QEMU process and its QMP socket");
    }
    // guests stop in parallel; the manifest lists them in the cluster's order
    stopped.sort(java.util.Comparator.comparingInt(gs::indexOf));
    progress.step("epoch " + e + ": " + gs.size() + " guest(s) stopped");
    for (Hypervisor g : gs) {
      Port p = port(g);
      awaitQuiet(p);
      mark("vccp:mark epoch=" + e + " phase=cut port=" + g.port() + " outq=" + p.unsentBytes());
    }
    return new Prepared(host, firstStop, gs.stream().map(Hypervisor::name).toList());
  }

  /**
   * The naive procedure stops guests one after another, {@link #naiveStopGap} apart (the skew that
   * makes it lose frames at restore; FACTS.md).
   */
  private void stopOneByOne(List<Hypervisor> gs) throws CheckpointException {
    for (Hypervisor g : gs) {
      try {
        g.stop(settings.qmp());
      } catch (Exception ex) {
        throw new CheckpointException(
            g.name(), "prepare", String.valueOf(ex.getMessage()), null, ex);
      }
      stopped.add(g);
      if (!naiveStopGap.isZero()) {
        sleepMillis(naiveStopGap.toMillis());
      }
    }
  }

  /** Gap between guest stops in the naive procedure (for showing its loss deterministically). */
  public void naiveStopGap(java.time.Duration gap) {
    this.naiveStopGap = gap;
  }

  private Port port(Hypervisor g) throws CheckpointException {
    Port p = sw.port(g.port());
    if (p == null) {
      throw new CheckpointException(
          g.name(),
          "prepare",
          "the switch has no port " + g.port(),
          "check the cluster file's port names (vccp ctl ports)",
          null);
    }
    return p;
  }

  /** Waits until the held guest has read everything already written to it. */
  private void awaitConsumed(Hypervisor g) throws CheckpointException {
    Port p = port(g);
    long deadline = System.nanoTime() + settings.drain().toNanos();
    long unsent;
    while ((unsent = p.unsentBytes()) > 0) {
      if (System.nanoTime() > deadline) {
        throw new CheckpointException(
            g.name(),
            "prepare",
            "the guest did not read "
                + unsent
                + " bytes already sent to it within "
                + settings.drain().toMillis()
                + " ms",
            "the guest may be hung or its NIC down; the epoch was abandoned and every guest resumed",
            null);
      }
      sleepMillis(1);
    }
  }

  /**
   * Waits until a stopped guest's port has been quiet for a while and its reads are in the ring.
   */
  private void awaitQuiet(Port p) throws CheckpointException {
    long last = p.counters().get(PortCounter.RX_FRAMES);
    long quietSince = System.nanoTime();
    long deadline = quietSince + settings.drain().toNanos();
    while (System.nanoTime() - quietSince < settings.quiet().toNanos()) {
      sleepMillis(2);
      long now = p.counters().get(PortCounter.RX_FRAMES);
      if (now != last) {
        last = now;
        quietSince = System.nanoTime();
      }
      if (System.nanoTime() > deadline) {
        throw new CheckpointException(
            null,
            "prepare",
            "port " + p.name() + " kept receiving after its guest stopped",
            null,
            null);
      }
    }
    try {
      p.syncIngress().get(settings.qmp().toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception ex) {
      throw new CheckpointException(
          null, "prepare", "port " + p.name() + " did not settle", null, ex);
    }
  }

  @Override
  public synchronized long flushLinks(long e) throws CheckpointException {
    requireInProgress(e, "flush");
    cancelSilenceTimer();
    try {
      java.util.Set<String> guestPorts = new java.util.HashSet<>();
      for (Hypervisor g : stopped) {
        guestPorts.add(g.port());
      }
      return LinkFlush.round(sw, guestPorts, settings, "prepare");
    } finally {
      if (active) {
        armSilenceTimer(e);
      }
    }
  }

  @Override
  public synchronized Snapshotted snapshot(long e, Path dir) throws CheckpointException {
    requireInProgress(e, "snapshot");
    cancelSilenceTimer();
    try {
      return snapshotStopped(e, dir);
    } finally {
      if (active) {
        armSilenceTimer(e);
      }
    }
  }

  private Snapshotted snapshotStopped(long e, Path dir) throws CheckpointException {
    List<Hypervisor> gs = new ArrayList<>(stopped);
    progress.step("epoch " + e + ": saving " + gs.size() + " guest(s)");
    List<Manifest.Guest> images = new ArrayList<>();
    for (Hypervisor g : gs) {
      images.add(null);
    }
    parallel(
        gs,
        "snapshot",
        g -> {
          String file = "guest-" + g.name() + ".vmstate";
          g.save(dir.resolve(file), settings.save());
          Manifest.FileRef ref = Sha256.ref(dir, file);
          synchronized (images) {
            images.set(gs.indexOf(g), new Manifest.Guest(g.name(), g.port(), g.spec(), ref));
          }
          progress.step(
              "epoch " + e + ": saved " + g.name() + " (" + (ref.bytes() >> 20) + " MiB)");
          return null;
        },
        "check free space in the checkpoint store and the guest's QEMU log");
    List<Manifest.Channel> channels = new ArrayList<>();
    long heldFrames = 0;
    try {
      for (String port : held) {
        List<HeldFrame> frames = sw.heldFrames(port);
        String file = ChannelStateFile.fileName(port);
        long bytes = ChannelStateFile.write(dir.resolve(file), port, e, frames);
        Manifest.FileRef ref = Sha256.ref(dir, file);
        channels.add(new Manifest.Channel(port, file, frames.size(), ref.bytes(), ref.sha256()));
        heldFrames += frames.size();
      }
      String stateFile = switchStateFile(sw.context().name);
      Files.write(dir.resolve(stateFile), switchState());
      Manifest.FileRef switchRef = Sha256.ref(dir, stateFile);
      mark("vccp:mark epoch=" + e + " phase=snapshot frames=" + heldFrames);
      return new Snapshotted(host, images, channels, switchRef, heldFrames);
    } catch (Exception ex) {
      throw new CheckpointException(
          null,
          "snapshot",
          "cannot write channel or switch state into " + dir + ": " + ex.getMessage(),
          "check free space in the checkpoint store",
          ex);
    }
  }

  /** The switch state file of switch {@code name} in a checkpoint directory. */
  public static String switchStateFile(String name) {
    return "switch-" + name + ".json";
  }

  private byte[] switchState() throws java.io.IOException {
    ObjectMapper json = new ObjectMapper();
    ObjectNode root = json.createObjectNode();
    root.put("switch", sw.context().name);
    ArrayNode macs = root.putArray("macs");
    for (MacTable.Entry m : sw.macs()) {
      Port p = sw.ports().stream().filter(x -> x.id() == m.portId()).findFirst().orElse(null);
      if (p != null) {
        macs.addObject()
            .put("vlan", m.vlan())
            .put("mac", org.vccp.vnet.frame.MacAddress.format(m.mac()))
            .put("port", p.name())
            .put("static", m.isStatic());
      }
    }
    ArrayNode ports = root.putArray("ports");
    for (Port p : sw.ports()) {
      ports.add(p.spec().toFlag());
    }
    return json.writerWithDefaultPrettyPrinter().writeValueAsBytes(root);
  }

  @Override
  public synchronized Resumed resume(long e) throws CheckpointException {
    requireInProgress(e, "resume");
    cancelSilenceTimer();
    active = false;
    List<Hypervisor> gs = new ArrayList<>(stopped);
    CheckpointException failure = null;
    try {
      parallel(
          gs,
          "resume",
          g -> {
            g.cont(settings.qmp());
            return null;
          },
          "the guest may have died; restore the cluster from the last checkpoint");
    } catch (CheckpointException ex) {
      failure = ex;
    }
    long lastCont = WallClock.nowNs();
    stopped.clear();
    long released = releaseAll(e);
    progress.step(
        "epoch "
            + e
            + ": resumed "
            + gs.size()
            + " guest(s), replayed "
            + released
            + " held frame(s)");
    if (failure != null) {
      throw failure;
    }
    return new Resumed(host, lastCont, released);
  }

  private long releaseAll(long e) {
    long released = 0;
    for (String port : held) {
      try {
        long n = sw.release(port);
        released += n;
        mark("vccp:mark epoch=" + e + " phase=release port=" + port + " frames=" + n);
      } catch (RuntimeException ex) {
        LOG.error("epoch {}: cannot release port {}: {}", e, port, ex.getMessage());
      }
    }
    held.clear();
    return released;
  }

  @Override
  public synchronized void abort(long e, String reason) {
    if (!active || e != epoch) {
      LOG.info(
          "abort of epoch {} ({}): nothing to do, {}",
          e,
          reason,
          abandoned.containsKey(e)
              ? "it was already abandoned (" + abandoned.get(e) + ")"
              : active ? "epoch " + epoch + " is in progress" : "no epoch is in progress");
      return;
    }
    cancelSilenceTimer();
    active = false;
    abandoned.put(e, reason);
    mark("vccp:mark epoch=" + e + " phase=abort reason=" + reason.replaceAll("\\s+", "_"));
    for (Hypervisor g : new ArrayList<>(stopped)) {
      if (g.isAlive()) {
        try {
          g.cont(settings.qmp());
        } catch (Exception ex) {
          LOG.error("epoch {}: cannot resume guest {}: {}", e, g.name(), ex.getMessage());
        }
      }
    }
    stopped.clear();
    releaseAll(e);
    progress.step(
        "epoch " + e + ": abandoned (" + reason + "); every guest resumed, every hold released");
  }

  @Override
  public void mark(String text) {
    try {
      sw.mark(text);
    } catch (RuntimeException ex) {
      LOG.warn("cannot write mark '{}': {}", text, ex.getMessage());
    }
  }

  /** Fails unless epoch {@code e} is the one in progress, saying why. */
  private void requireInProgress(long e, String phase) throws CheckpointException {
    if (active && e == epoch) {
      return;
    }
    String reason = abandoned.get(e);
    if (reason != null) {
      throw new CheckpointException(
          null,
          phase,
          "epoch " + e + " was abandoned on host " + host + " (" + reason + ")",
          "its guests were resumed and its holds released; take a new checkpoint",
          null);
    }
    throw new CheckpointException(
        null,
        phase,
        "epoch "
            + e
            + " is not in progress on host "
            + host
            + (active ? " (epoch " + epoch + " is)" : ""),
        "take a new checkpoint",
        null);
  }

  /** (Re)starts the count of the coordinator's silence; a timer from an earlier arm never fires. */
  private void armSilenceTimer(long e) {
    cancelSilenceTimer();
    long generation = ++silenceTimerGeneration;
    silenceTimer =
        watchdog.schedule(
            () -> abandonIfStillSilent(e, generation),
            settings.coordinatorSilence().toMillis(),
            TimeUnit.MILLISECONDS);
  }

  private synchronized void abandonIfStillSilent(long e, long generation) {
    if (!active || e != epoch || generation != silenceTimerGeneration) {
      return;
    }
    LOG.error(
        "epoch {}: no word from the coordinator for {} ms; resuming guests on my own",
        e,
        settings.coordinatorSilence().toMillis());
    abort(e, "coordinator silent");
  }

  private void cancelSilenceTimer() {
    silenceTimerGeneration++;
    if (silenceTimer != null) {
      silenceTimer.cancel(false);
      silenceTimer = null;
    }
  }

  /** Whether an epoch holds guests paused or ports held right now (tests, status). */
  public synchronized boolean idle() {
    return !active && stopped.isEmpty() && held.isEmpty();
  }

  /** The epoch in progress, or -1. */
  public synchronized long epochInProgress() {
    return active ? epoch : -1;
  }

  private interface GuestTask {
    Void run(Hypervisor g) throws Exception;
  }

  private void parallel(List<Hypervisor> gs, String phase, GuestTask task, String hint)
      throws CheckpointException {
    List<Future<Void>> fs = new ArrayList<>();
    for (Hypervisor g : gs) {
      Callable<Void> c = () -> task.run(g);
      fs.add(workers.submit(c));
    }
    CheckpointException first = null;
    for (int i = 0; i < fs.size(); i++) {
      try {
        fs.get(i).get();
      } catch (ExecutionException ex) {
        if (first == null) {
          Throwable cause = ex.getCause();
          first =
              new CheckpointException(
                  gs.get(i).name(),
                  phase,
                  cause.getMessage() != null ? cause.getMessage() : cause.toString(),
                  hint,
                  cause);
        }
      } catch (InterruptedException ex) {
        Thread.currentThread().interrupt();
        first = new CheckpointException(gs.get(i).name(), phase, "interrupted", null, ex);
      }
    }
    if (first != null) {
      throw first;
    }
  }

  private static void sleepMillis(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    watchdog.shutdownNow();
    workers.shutdownNow();
  }
}
