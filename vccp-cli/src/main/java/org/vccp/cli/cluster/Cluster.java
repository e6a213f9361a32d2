package org.vccp.cli.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import org.vccp.checkpoint.protocol.Agent;
import org.vccp.checkpoint.protocol.AgentLink;
import org.vccp.checkpoint.protocol.AgentServer;
import org.vccp.checkpoint.protocol.AgentToken;
import org.vccp.checkpoint.protocol.CheckpointException;
import org.vccp.checkpoint.protocol.CheckpointResult;
import org.vccp.checkpoint.protocol.Coordinator;
import org.vccp.checkpoint.protocol.Hypervisor;
import org.vccp.checkpoint.protocol.Progress;
import org.vccp.checkpoint.protocol.ProtocolSettings;
import org.vccp.checkpoint.protocol.RestoreTarget;
import org.vccp.checkpoint.protocol.Restorer;
import org.vccp.checkpoint.store.CheckpointStore;
import org.vccp.checkpoint.store.Manifest;
import org.vccp.qemu.guest.GuestSpec;
import org.vccp.qemu.guest.NicSpec;
import org.vccp.qemu.guest.QemuGuest;
import org.vccp.qemu.guest.StreamSocket;
import org.vccp.qemu.hypervisor.QemuHypervisor;
import org.vccp.qemu.hypervisor.QmpHypervisor;
import org.vccp.qemu.hypervisor.SimHypervisor;
import org.vccp.qemu.hypervisor.SpecLauncher;
import org.vccp.qemu.image.GuestImage;
import org.vccp.qemu.image.GuestImageKit;
import org.vccp.qemu.image.GuestParams;
import org.vccp.qemu.image.Workload;
import org.vccp.qemu.sim.SimGuestOptions;
import org.vccp.vnet.VirtualSwitch;
import org.vccp.vnet.config.SwitchContext;
import org.vccp.vnet.control.SwitchDaemon;
import org.vccp.vnet.port.PortAddress;
import org.vccp.vnet.port.PortSpec;
import org.vccp.vnet.record.RecordingStatus;

/**
 * A running cluster: one switch (with its control socket) and its guests, each on a lossless stream
 * port the switch listens on, plus the checkpoint agent and coordinator for them. The guests are
 * QEMU virtual machines or simulated guests ({@link GuestKind}); both are {@link QmpHypervisor}s,
 * so the checkpoint, restore and serial-report code is the same for either. The control socket
 * answers {@code checkpoint}, {@code checkpoints}, {@code restore}, {@code guests} and {@code
 * down}, so {@code vccp checkpoint} and friends work from another shell.
 */
public final class Cluster implements AutoCloseable, RestoreTarget {
  private static final Duration BOOT = Duration.ofSeconds(120);

  private final ClusterSpec spec;
  private final GuestKind kind;
  private final Path runDir;
  private final SwitchDaemon daemon;
  private final CheckpointStore store;
  private final Path recordDir;
  private final Agent agent;
  private final AgentServer agentServer;
  private final Coordinator coordinator;
  private final Restorer restorer;
  private final CountDownLatch down = new CountDownLatch(1);
  private volatile Consumer<String> progress;
  private volatile List<QmpHypervisor> guests = List.of();

  private Cluster(
      ClusterSpec spec,
      GuestKind kind,
      Path baseDir,
      Path runDir,
      ProtocolSettings settings,
      Consumer<String> progress) {
    this.spec = spec;
    this.kind = kind;
    this.runDir = runDir;
    this.progress = progress;
    SwitchContext ctx = new SwitchContext();
    ctx.name = spec.name;
    ctx.controlSocket = controlSocket(runDir, spec.name);
    ctx.redialMs = 50;
    if (spec.record != null) {
      ctx.recordDir = baseDir.resolve(spec.record).toAbsolutePath();
    }
    for (ClusterSpec.Guest g : spec.guests) {
      ctx.ports.add(
          PortSpec.listen(g.name, PortAddress.unix(guestSocket(g.name))).withLossless(true));
    }
    this.daemon = SwitchDaemon.start(ctx);
    this.recordDir = ctx.recordDir;
    this.store = new CheckpointStore(baseDir.resolve(spec.store));
    Progress p = line -> this.progress.accept(line);
    this.agent =
        new Agent(
            "local", daemon.virtualSwitch(), () -> new ArrayList<Hypervisor>(guests), settings, p);
    try {
      this.agentServer = spec.agent != null ? serveAgent(spec.agent, baseDir) : null;
    } catch (RuntimeException e) {
      agent.close();
      daemon.close();
      throw e;
    }
    RecordingStatus rec = daemon.virtualSwitch().recordingStatus();
    this.coordinator =
        new Coordinator(
            store,
            List.<AgentLink>of(agent),
            rec.on() ? new Manifest.Recording(spec.name, rec.run()) : null,
            p);
    this.restorer = new Restorer(daemon.virtualSwitch(), new SpecLauncher(), settings, p);
    registerControl();
  }

  private AgentServer serveAgent(ClusterSpec.AgentListen a, Path baseDir) {
    AgentToken token;
    try {
      token = AgentToken.read(baseDir.resolve(a.tokenFile));
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
    AgentServer s =
        AgentServer.start(agent, this, new java.net.InetSocketAddress(a.host(), a.port()), token);
    progress.accept("checkpoint agent listening for coordinators on " + a.listen);
    return s;
  }

  /** The address the agent serves remote coordinators on, or null. */
  public java.net.InetSocketAddress agentAddress() {
    return agentServer != null ? agentServer.address() : null;
  }

  public static Path controlSocket(Path runDir, String name) {
    return runDir.resolve(name + ".sock");
  }

  private Path guestSocket(String guest) {
    return runDir.resolve(spec.name + "-" + guest + ".sock");
  }

  /** Starts the switch and boots every guest (in parallel) until each reports ready. */
  public static Cluster up(ClusterSpec spec, Path baseDir, Path runDir, Consumer<String> progress)
      throws Exception {
    return up(spec, baseDir, runDir, ProtocolSettings.DEFAULTS, progress);
  }

  /** {@link #up} with the checkpoint protocol's time limits (tests shorten them). */
  public static Cluster up(
      ClusterSpec spec,
      Path baseDir,
      Path runDir,
      ProtocolSettings settings,
      Consumer<String> progress)
      throws Exception {
    Files.createDirectories(runDir);
    GuestKind kind = spec.kind().resolve();
    GuestImage image = null;
    if (kind == GuestKind.QEMU) {
      progress.accept("building the guest image (kernel + busybox initramfs from Debian packages)");
      image = new GuestImageKit().build();
    } else {
      for (ClusterSpec.Guest g : spec.guests) {
        ClusterSpec.simWorkload(g); // fails before anything starts, naming the guest
      }
    }
    Cluster c = new Cluster(spec, kind, baseDir, runDir, settings, progress);
    try {
      c.boot(image);
    } catch (Exception e) {
      c.close();
      throw e;
    }
    return c;
  }

  private void boot(GuestImage image) throws Exception {
    progress.accept(
        kind == GuestKind.QEMU
            ? "booting " + spec.guests.size() + " guest(s) under QEMU"
            : "starting "
                + spec.guests.size()
                + " simulated guest(s) (vccp sim-guest processes, driven over QMP like QEMU)");
    ExecutorService pool = Executors.newFixedThreadPool(spec.guests.size());
    try {
      List<Future<QmpHypervisor>> fs = new ArrayList<>();
      for (int i = 0; i < spec.guests.size(); i++) {
        ClusterSpec.Guest g = spec.guests.get(i);
        if (kind == GuestKind.QEMU) {
          GuestSpec gs = guestSpec(image, g, i);
          fs.add(pool.submit(() -> new QemuHypervisor(QemuGuest.start(gs), g.name)));
        } else {
          SimGuestOptions o = simOptions(g, i);
          fs.add(pool.submit(() -> SimHypervisor.start(o, g.name)));
        }
      }
      List<QmpHypervisor> started = new ArrayList<>();
      Exception failure = null;
      for (Future<QmpHypervisor> f : fs) {
        try {
          started.add(f.get());
        } catch (java.util.concurrent.ExecutionException e) {
          failure = failure != null ? failure : (Exception) e.getCause();
        }
      }
      guests = List.copyOf(started);
      if (failure != null) {
        throw failure;
      }
      for (QmpHypervisor h : started) {
        var ready = h.console().awaitLine(l -> l.startsWith("VCCP READY"), 0, BOOT);
        progress.accept(
            h.name()
                + " ready after "
                + (ready.seenNanos() - h.startedNanos()) / 1_000_000
                + " ms");
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /** A simulated guest's options: the cluster file's guest, on the same socket as QEMU's NIC. */
  private SimGuestOptions simOptions(ClusterSpec.Guest g, int index) {
    Path dir = runDir.resolve(g.name);
    try {
      SimGuestOptions.Builder b =
          SimGuestOptions.builder(g.name)
              .qmp(dir.resolve(g.name + ".qmp"))
              .netdev(StreamSocket.unix(guestSocket(g.name), false))
              .mac(ClusterSpec.mac(g, index))
              .ip(g.ip.substring(0, g.ip.indexOf('/')))
              .peer(g.peer)
              .workload(ClusterSpec.simWorkload(g))
              .serial(dir.resolve(g.name + ".serial.log"));
      if (g.count != null) {
        b.count(g.count);
      }
      if (g.rate != null) {
        b.rate(g.rate);
      }
      if (g.flow != null) {
        b.flow(g.flow);
      }
      return b.build();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "guest " + g.name + " cannot be simulated: " + e.getMessage(), e);
    }
  }

  private GuestSpec guestSpec(GuestImage image, ClusterSpec.Guest g, int index) {
    GuestParams.Builder p = GuestParams.builder(g.name).ip(g.ip);
    if (g.peer != null) {
      p.peer(g.peer);
    }
    p.workloads(g.workloads.stream().map(Workload::fromParamName).toArray(Workload[]::new));
    if (g.count != null) {
      p.count(g.count);
    }
    if (g.rate != null) {
      p.rate(g.rate);
    }
    if (g.sizeMb != null) {
      p.sizeMb(g.sizeMb);
    }
    if (g.flow != null) {
      p.flow(g.flow);
    }
    return GuestSpec.builder(g.name)
        .memoryMb(g.memoryMb != null ? g.memoryMb : spec.memoryMb)
        .image(image)
        .params(p.build())
        .nic(
            NicSpec.stream(
                "n0", ClusterSpec.mac(g, index), StreamSocket.unix(guestSocket(g.name), false)))
        .runDir(runDir.resolve(g.name))
        .build();
  }

  public VirtualSwitch virtualSwitch() {
    return daemon.virtualSwitch();
  }

  public CheckpointStore store() {
    return store;
  }

  public List<QmpHypervisor> guests() {
    return guests;
  }

  public QmpHypervisor guest(String name) {
    return guests.stream().filter(g -> g.name().equals(name)).findFirst().orElseThrow();
  }

  /** Whether no checkpoint epoch holds a guest paused or a port held right now. */
  public boolean checkpointIdle() {
    return agent.idle();
  }

  /** What the guests run as: {@link GuestKind#QEMU} or {@link GuestKind#SIMULATED}. */
  public GuestKind kind() {
    return kind;
  }

  /** Whether guest {@code name} runs {@code workload} (a simulated guest runs only one). */
  public boolean runs(String name, String workload) {
    ClusterSpec.Guest g =
        spec.guests.stream().filter(x -> x.name.equals(name)).findFirst().orElseThrow();
    return kind == GuestKind.SIMULATED
        ? ClusterSpec.simWorkload(g).cliName().equals(workload)
        : g.workloads.contains(workload);
  }

  /** Takes one checkpoint now ({@code naive}: without the hold gate, for comparisons only). */
  public synchronized CheckpointResult checkpoint(boolean naive, Consumer<String> out)
      throws CheckpointException {
    progress = out;
    return naive ? coordinator.naiveCheckpoint() : coordinator.checkpoint();
  }

  /** Gap between guest stops in a naive checkpoint (to show its loss deterministically). */
  public void naiveStopGap(Duration gap) {
    agent.naiveStopGap(gap);
  }

  /** Kills every guest (as a crash would). */
  public synchronized void killGuests() {
    for (QmpHypervisor h : guests) {
      h.kill();
    }
  }

  /**
   * Restores every guest from a committed checkpoint ({@code which}: name, epoch or path; null =
   * latest), killing the running ones first — but only once every checksum and channel file of the
   * checkpoint is good: a refused checkpoint leaves the running guests untouched.
   */
  public synchronized Restorer.Restored restore(String which, Consumer<String> out)
      throws Exception {
    progress = out;
    CheckpointStore.Committed c =
        which == null
            ? store
                .latest()
                .orElseThrow(
                    () ->
                        new IllegalArgumentException(
                            "no committed checkpoint in "
                                + store.root()
                                + "; take one with vccp checkpoint"))
            : store.open(which);
    Restorer.Restored r = restorer.restore(c, this::killGuests);
    adopt(r);
    return r;
  }

  /**
   * Restores a checkpoint taken across several clusters' switches (one coordinator, one agent per
   * switch) the way {@code vccp restore --agent ...} does over TCP (RestoreTarget#restoreAll): the
   * whole checkpoint is verified first, then every cluster loads its own guests with their ports
   * held, the links are fenced, and only then does any guest continue.
   */
  public static RestoreTarget.Restored restoreAcross(
      List<Cluster> clusters, CheckpointStore.Committed c, Consumer<String> out)
      throws CheckpointException {
    for (Cluster cl : clusters) {
      cl.progress = out;
    }
    return RestoreTarget.restoreAll(clusters, c.dir(), out);
  }

  private Restorer.Loaded pendingRestore;

  @Override
  public synchronized List<String> restoreLoad(Path checkpointDir) throws CheckpointException {
    if (pendingRestore != null) {
      pendingRestore.abandon();
      pendingRestore = null;
    }
    CheckpointStore.Committed c;
    try {
      c = store.open(checkpointDir.toAbsolutePath().toString());
    } catch (java.io.IOException | RuntimeException e) {
      throw new CheckpointException(
          null,
          "verify",
          "cannot open checkpoint " + checkpointDir + ": " + e.getMessage(),
          "the coordinator's store must be at the same path on every host (a shared file system)",
          e);
    }
    pendingRestore = restorer.load(c, this::killGuests);
    return pendingRestore.guestNames();
  }

  @Override
  public synchronized long restoreFence() throws CheckpointException {
    return restorer.fence(loaded());
  }

  @Override
  public synchronized void restoreSettle() throws CheckpointException {
    restorer.settle(loaded());
  }

  private Restorer.Loaded loaded() throws CheckpointException {
    if (pendingRestore == null) {
      throw new CheckpointException(
          null, "restore", "nothing is loaded on this host", "send restore-load first", null);
    }
    return pendingRestore;
  }

  @Override
  public synchronized long restoreGo() throws CheckpointException {
    if (pendingRestore == null) {
      throw new CheckpointException(
          null, "restore", "nothing is loaded on this host", "send restore-load first", null);
    }
    Restorer.Loaded l = pendingRestore;
    pendingRestore = null;
    Restorer.Restored r;
    try {
      r = restorer.go(l);
    } catch (CheckpointException e) {
      l.abandon();
      throw e;
    }
    adopt(r);
    return r.replayedFrames();
  }

  @Override
  public synchronized void restoreAbandon() {
    if (pendingRestore != null) {
      pendingRestore.abandon();
      pendingRestore = null;
    }
  }

  /** This cluster's checkpoint agent, for a coordinator that spans several clusters. */
  public AgentLink agentLink() {
    return agent;
  }

  /** The restored guests are this cluster's guests from now on. */
  private void adopt(Restorer.Restored r) {
    List<QmpHypervisor> restored = new ArrayList<>();
    for (Hypervisor h : r.guests()) {
      restored.add((QmpHypervisor) h);
    }
    guests = List.copyOf(restored);
  }

  private void registerControl() {
    ObjectMapper json = new ObjectMapper();
    var control = daemon.control();
    control.registerStreaming(
        "checkpoint",
        (req, out) -> {
          CheckpointResult r;
          List<String> removed;
          // one lock for both: retain deletes partial directories, which must not be those of
          // another checkpoint that a second request starts in between
          synchronized (Cluster.this) {
            r = checkpoint(req.path("naive").asBoolean(false), out);
            removed = req.has("keep") ? store.retain(req.get("keep").asInt()) : List.of();
          }
          ObjectNode reply = json.createObjectNode().put("ok", true);
          reply.put("epoch", r.epoch()).put("dir", r.dir().toString());
          reply.put("downtime_ms", r.downtimeNs() / 1e6).put("total_ms", r.totalNs() / 1e6);
          reply.put("held_frames", r.heldFrames()).put("image_bytes", r.imageBytes());
          ArrayNode rm = reply.putArray("removed");
          removed.forEach(rm::add);
          return reply;
        });
    control.register("checkpoints", req -> checkpointList(json, store));
    control.registerStreaming(
        "restore",
        (req, out) -> {
          Restorer.Restored r =
              restore(
                  req.path("checkpoint").isTextual() ? req.get("checkpoint").asText() : null, out);
          return json.createObjectNode()
              .put("ok", true)
              .put("guests", r.guests().size())
              .put("restore_ms", r.restoreNs() / 1e6)
              .put("replayed_frames", r.replayedFrames());
        });
    control.register(
        "guests",
        req -> {
          ObjectNode reply = json.createObjectNode().put("ok", true);
          ArrayNode arr = reply.putArray("guests");
          for (QmpHypervisor h : guests) {
            arr.addObject()
                .put("name", h.name())
                .put("port", h.port())
                .put("kind", kind.toString())
                .put("alive", h.isAlive())
                .put("pid", h.pid());
          }
          return reply;
        });
    control.register(
        "down",
        req -> {
          down.countDown();
          return json.createObjectNode().put("ok", true);
        });
  }

  /** The store's committed checkpoints as a control reply. */
  public static JsonNode checkpointList(ObjectMapper json, CheckpointStore store)
      throws java.io.IOException {
    ObjectNode reply = json.createObjectNode().put("ok", true);
    ArrayNode arr = reply.putArray("checkpoints");
    for (CheckpointStore.Committed c : store.list()) {
      Manifest m = c.manifest();
      long bytes = m.files().stream().mapToLong(Manifest.FileRef::bytes).sum();
      arr.addObject()
          .put("name", c.name())
          .put("epoch", m.epoch())
          .put("mode", m.mode())
          .put("created", m.createdAt())
          .put("guests", m.guests().size())
          .put("bytes", bytes)
          .put("downtime_ms", m.downtimeNs() / 1e6);
    }
    return reply;
  }

  /**
   * Stops recording and runs {@code vccp verify} on the recording and every committed checkpoint,
   * writing every finding to {@code jsonFile}.
   *
   * @throws IllegalStateException when the cluster file has no {@code record:} directory
   */
  public org.vccp.checkpoint.verify.VerifyReport verify(Path jsonFile, java.io.PrintStream progress)
      throws java.io.IOException {
    if (recordDir == null) {
      throw new IllegalStateException("the cluster records nothing: add record: DIR to its file");
    }
    virtualSwitch().stopRecording();
    org.vccp.checkpoint.verify.VerifyContext ctx = new org.vccp.checkpoint.verify.VerifyContext();
    ctx.inputs.add(recordDir);
    for (CheckpointStore.Committed c : store.list()) {
      ctx.checkpoints.add(c.dir());
    }
    ctx.jsonFile = jsonFile;
    return org.vccp.checkpoint.verify.Verifier.run(ctx.validate(), progress);
  }

  /** Blocks until {@code vccp cluster down} (or close). */
  public void awaitDown() throws InterruptedException {
    down.await();
  }

  @Override
  public void close() {
    down.countDown();
    for (QmpHypervisor h : guests) {
      h.close();
    }
    if (agentServer != null) {
      agentServer.close();
    }
    agent.close();
    daemon.close();
  }
}
