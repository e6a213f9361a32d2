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
import org.vccp.checkpoint.protocol.CheckpointException;
import org.vccp.checkpoint.protocol.CheckpointResult;
import org.vccp.checkpoint.protocol.Coordinator;
import org.vccp.checkpoint.protocol.Hypervisor;
import org.vccp.checkpoint.protocol.Progress;
import org.vccp.checkpoint.protocol.ProtocolSettings;
import org.vccp.checkpoint.protocol.Restorer;
import org.vccp.checkpoint.store.CheckpointStore;
import org.vccp.checkpoint.store.Manifest;
import org.vccp.qemu.guest.GuestSpec;
import org.vccp.qemu.guest.NicSpec;
import org.vccp.qemu.guest.QemuGuest;
import org.vccp.qemu.guest.StreamSocket;
import org.vccp.qemu.hypervisor.QemuHypervisor;
import org.vccp.qemu.hypervisor.QemuLauncher;
import org.vccp.qemu.image.GuestImage;
import org.vccp.qemu.image.GuestImageKit;
import org.vccp.qemu.image.GuestParams;
import org.vccp.qemu.image.Workload;
import org.vccp.vnet.VirtualSwitch;
import org.vccp.vnet.config.SwitchContext;
import org.vccp.vnet.control.SwitchDaemon;
import org.vccp.vnet.port.PortAddress;
import org.vccp.vnet.port.PortSpec;
import org.vccp.vnet.record.RecordingStatus;

/**
 * A running cluster: one switch (with its control socket) and its QEMU guests, each on a lossless
 * stream port the switch listens on, plus the checkpoint agent and coordinator for them. The
 * control socket answers {@code checkpoint}, {@code checkpoints}, {@code restore}, {@code guests}
 * and {@code down}, so {@code vccp checkpoint} and friends work from another shell.
 */
public final class Cluster implements AutoCloseable {
  private static final Duration BOOT = Duration.ofSeconds(120);

  private final ClusterSpec spec;
  private final Path runDir;
  private final SwitchDaemon daemon;
  private final CheckpointStore store;
  private final Agent agent;
  private final Coordinator coordinator;
  private final Restorer restorer;
  private final CountDownLatch down = new CountDownLatch(1);
  private volatile Consumer<String> progress;
  private volatile List<QemuHypervisor> guests = List.of();

  private Cluster(ClusterSpec spec, Path baseDir, Path runDir, Consumer<String> progress) {
    this.spec = spec;
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
    this.store = new CheckpointStore(baseDir.resolve(spec.store));
    Progress p = line -> this.progress.accept(line);
    this.agent =
        new Agent(
            "local",
            daemon.virtualSwitch(),
            () -> new ArrayList<Hypervisor>(guests),
            ProtocolSettings.DEFAULTS,
            p);
    RecordingStatus rec = daemon.virtualSwitch().recordingStatus();
    this.coordinator =
        new Coordinator(
            store,
            List.<AgentLink>of(agent),
            rec.on() ? new Manifest.Recording(spec.name, rec.run()) : null,
            p);
    this.restorer =
        new Restorer(daemon.virtualSwitch(), new QemuLauncher(), ProtocolSettings.DEFAULTS, p);
    registerControl();
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
    Files.createDirectories(runDir);
    progress.accept("building the guest image (kernel + busybox initramfs from Debian packages)");
    GuestImage image = new GuestImageKit().build();
    Cluster c = new Cluster(spec, baseDir, runDir, progress);
    try {
      c.boot(image);
    } catch (Exception e) {
      c.close();
      throw e;
    }
    return c;
  }

  private void boot(GuestImage image) throws Exception {
    progress.accept("booting " + spec.guests.size() + " guest(s) under QEMU");
    ExecutorService pool = Executors.newFixedThreadPool(spec.guests.size());
    try {
      List<Future<QemuHypervisor>> fs = new ArrayList<>();
      for (int i = 0; i < spec.guests.size(); i++) {
        ClusterSpec.Guest g = spec.guests.get(i);
        GuestSpec gs = guestSpec(image, g, i);
        fs.add(pool.submit(() -> new QemuHypervisor(QemuGuest.start(gs), g.name)));
      }
      List<QemuHypervisor> started = new ArrayList<>();
      Exception failure = null;
      for (Future<QemuHypervisor> f : fs) {
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
      for (QemuHypervisor h : started) {
        var ready = h.guest().awaitSerialLine(l -> l.startsWith("VCCP READY"), BOOT);
        progress.accept(
            h.name() + " ready after " + h.guest().sinceStart(ready).toMillis() + " ms");
      }
    } finally {
      pool.shutdownNow();
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
                "n0", NicSpec.localMac(index + 1), StreamSocket.unix(guestSocket(g.name), false)))
        .runDir(runDir.resolve(g.name))
        .build();
  }

  public VirtualSwitch virtualSwitch() {
    return daemon.virtualSwitch();
  }

  public CheckpointStore store() {
    return store;
  }

  public List<QemuHypervisor> guests() {
    return guests;
  }

  public QemuHypervisor guest(String name) {
    return guests.stream().filter(g -> g.name().equals(name)).findFirst().orElseThrow();
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
    for (QemuHypervisor h : guests) {
      h.kill();
    }
  }

  /**
   * Restores every guest from a committed checkpoint ({@code which}: name, epoch or path; null =
   * latest), killing the running ones first.
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
    CheckpointStore.verify(c);
    killGuests();
    Restorer.Restored r = restorer.restore(c);
    List<QemuHypervisor> restored = new ArrayList<>();
    for (Hypervisor h : r.guests()) {
      restored.add((QemuHypervisor) h);
    }
    guests = List.copyOf(restored);
    return r;
  }

  private void registerControl() {
    ObjectMapper json = new ObjectMapper();
    var control = daemon.control();
    control.registerStreaming(
        "checkpoint",
        (req, out) -> {
          CheckpointResult r = checkpoint(req.path("naive").asBoolean(false), out);
          List<String> removed =
              req.has("keep") ? store.retain(req.get("keep").asInt()) : List.of();
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
          for (QemuHypervisor h : guests) {
            arr.addObject()
                .put("name", h.name())
                .put("port", h.port())
                .put("alive", h.isAlive())
                .put("pid", h.guest().pid());
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

  /** Blocks until {@code vccp cluster down} (or close). */
  public void awaitDown() throws InterruptedException {
    down.await();
  }

  @Override
  public void close() {
    down.countDown();
    for (QemuHypervisor h : guests) {
      h.close();
    }
    agent.close();
    daemon.close();
  }
}
