package org.vccp.checkpoint.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.vccp.checkpoint.store.ChannelStateFile;
import org.vccp.checkpoint.store.CheckpointRefusedException;
import org.vccp.checkpoint.store.CheckpointStore;
import org.vccp.checkpoint.store.Manifest;
import org.vccp.vnet.VirtualSwitch;
import org.vccp.vnet.frame.MacAddress;
import org.vccp.vnet.hold.HeldFrame;

/**
 * Restarts a cluster from a committed checkpoint (docs/architecture.md): verify every checksum and
 * read every channel file first — a bad checkpoint is refused before any guest or port is touched —
 * then hold the guests' ports, start every guest in restore mode and load its image (in parallel),
 * restore the MAC table, load the channel state into the hold queues, continue every guest, and
 * release the holds, which replays the channel state in order before any newer frame.
 *
 * <p>A cluster that spans several switches has one restorer per switch, each restoring the guests
 * on its switch, driven through {@link RestoreTarget#restoreAll}: every one loads first ({@link
 * #load}), the links are fenced ({@link #fence}), every one settles ({@link #settle}), and only
 * then does any guest continue ({@link #go}), so a restored guest's first frames to a guest on
 * another switch find that guest's port held, not missing.
 */
public final class Restorer {
  private final VirtualSwitch sw;
  private final GuestLauncher launcher;
  private final ProtocolSettings settings;
  private final Progress progress;

  public Restorer(
      VirtualSwitch sw, GuestLauncher launcher, ProtocolSettings settings, Progress progress) {
    this.sw = sw;
    this.launcher = launcher;
    this.settings = settings;
    this.progress = progress;
  }

  /** The restored guests, running, and how long it took. */
  public record Restored(List<Hypervisor> guests, long restoreNs, long replayedFrames) {}

  /** Guests loaded and paused, their ports held with the channel state queued. */
  public final class Loaded {
    private final CheckpointStore.Committed checkpoint;
    private final List<Manifest.Guest> mine;
    private final List<Hypervisor> started;
    private final long startNs;
    private final Map<String, List<HeldFrame>> channels;
    private long replay;

    private Loaded(
        CheckpointStore.Committed checkpoint,
        List<Manifest.Guest> mine,
        List<Hypervisor> started,
        long startNs,
        Map<String, List<HeldFrame>> channels) {
      this.checkpoint = checkpoint;
      this.mine = mine;
      this.started = started;
      this.startNs = startNs;
      this.channels = channels;
    }

    /** Names of the guests loaded. */
    public List<String> guestNames() {
      return mine.stream().map(Manifest.Guest::name).toList();
    }

    /** Kills what was started and releases the holds; for a restore that goes no further. */
    public void abandon() {
      Restorer.this.abandon(mine, started);
    }
  }

  public Restored restore(CheckpointStore.Committed c) throws CheckpointException {
    return restore(c, () -> {});
  }

  /**
   * Restores {@code c}, running {@code onVerified} once every check has passed and before any guest
   * or port is touched (a cluster kills its running guests there, so a refused checkpoint leaves
   * them running).
   */
  public Restored restore(CheckpointStore.Committed c, Runnable onVerified)
      throws CheckpointException {
    Loaded l = load(c, true, onVerified);
    try {
      settle(l);
      return go(l);
    } catch (CheckpointException | RuntimeException e) {
      l.abandon();
      throw e;
    }
  }

  /**
   * This switch's part of a restore that another host coordinates ({@link RestoreTarget}): verify
   * the checkpoint, run {@code onVerified}, then hold, start and load the guests whose ports this
   * switch had at the cut. Then {@link #fence} (rounds), {@link #settle} and {@link #go} on every
   * switch in turn, or {@link Loaded#abandon}.
   */
  public Loaded load(CheckpointStore.Committed c, Runnable onVerified) throws CheckpointException {
    return load(c, false, onVerified);
  }

  /**
   * @param allGuests every guest of the checkpoint belongs on this switch (a one-switch restore: a
   *     missing port is an error), else only those whose port this switch had at the cut
   */
  private Loaded load(CheckpointStore.Committed c, boolean allGuests, Runnable onVerified)
      throws CheckpointException {
    Map<String, List<HeldFrame>> channels = verify(c);
    List<Manifest.Guest> mine = guestsOnThisSwitch(c, allGuests);
    progress.step("restore " + c.name() + ": checksums ok, " + mine.size() + " guest(s) here");
    onVerified.run();
    return load(c, mine, channels);
  }

  /**
   * One round of flushing this switch's links while every guest of the cluster is dead or loaded
   * and paused: whatever still arrives is from the abandoned timeline, and {@link #settle} drops
   * it. Repeat on every switch until the totals stop changing.
   *
   * @return the links' frame counters after the round
   */
  public long fence(Loaded l) throws CheckpointException {
    return LinkFlush.round(sw, ports(l), settings, "restore");
  }

  /**
   * Drops what the held guest ports queued since the restore began (frames of the abandoned
   * timeline) and queues the checkpoint's channel state in their place. Every switch settles before
   * any guest continues.
   */
  public void settle(Loaded l) {
    long stale = 0;
    long replay = 0;
    for (Manifest.Guest g : l.mine) {
      stale += sw.discardHeldFrames(g.port());
      List<HeldFrame> frames = l.channels.get(g.port());
      if (frames != null) {
        sw.loadHeldFrames(g.port(), frames);
        replay += frames.size();
      }
    }
    l.replay = replay;
    sw.mark(
        "vccp:mark epoch="
            + l.checkpoint.manifest().epoch()
            + " phase=settle dropped="
            + stale
            + " replay="
            + replay);
    if (stale > 0) {
      progress.step(
          "restore " + l.checkpoint.name() + ": dropped " + stale + " frame(s) of the old run");
    }
  }

  private static java.util.Set<String> ports(Loaded l) {
    java.util.Set<String> out = new java.util.HashSet<>();
    for (Manifest.Guest g : l.mine) {
      out.add(g.port());
    }
    return out;
  }

  /** Checks every checksum and reads every channel file; touches nothing. */
  static Map<String, List<HeldFrame>> verify(CheckpointStore.Committed c)
      throws CheckpointException {
    Manifest m = c.manifest();
    Map<String, List<HeldFrame>> channels = new LinkedHashMap<>();
    try {
      CheckpointStore.verify(c);
      for (Manifest.Channel ch : m.channels()) {
        channels.put(ch.port(), ChannelStateFile.read(c.dir().resolve(ch.file()), m.epoch()));
      }
    } catch (CheckpointRefusedException | java.io.IOException e) {
      throw new CheckpointException(
          null,
          "verify",
          e.getMessage(),
          "pick an earlier checkpoint (vccp checkpoints); no guest was touched",
          e);
    }
    return channels;
  }

  /**
   * The checkpoint's guests that belong on this switch: all of them for a one-switch checkpoint
   * (each must have its port here), else those whose port this switch had at the cut.
   */
  private List<Manifest.Guest> guestsOnThisSwitch(CheckpointStore.Committed c, boolean only)
      throws CheckpointException {
    Manifest m = c.manifest();
    List<Manifest.Guest> mine = new ArrayList<>();
    if (only || m.switchStates() == null) {
      mine.addAll(m.guests());
    } else {
      java.util.Set<String> ports = new java.util.HashSet<>();
      for (JsonNode flag : switchState(c).path("ports")) {
        ports.add(flag.asText().split(",", 2)[0]);
      }
      for (Manifest.Guest g : m.guests()) {
        if (ports.contains(g.port())) {
          mine.add(g);
        }
      }
    }
    for (Manifest.Guest g : mine) {
      if (sw.port(g.port()) == null) {
        throw new CheckpointException(
            g.name(),
            "verify",
            "switch " + sw.context().name + " has no port " + g.port(),
            "start the cluster's switch with the checkpoint's ports",
            null);
      }
    }
    return mine;
  }

  /** Holds this switch's guest ports, starts and loads its guests, queues their channel state. */
  private Loaded load(
      CheckpointStore.Committed c, List<Manifest.Guest> mine, Map<String, List<HeldFrame>> channels)
      throws CheckpointException {
    long start = System.nanoTime();
    long epoch = c.manifest().epoch();
    sw.mark("vccp:mark epoch=" + epoch + " phase=restore");
    for (Manifest.Guest g : mine) {
      sw.hold(g.port(), epoch);
    }
    List<Hypervisor> started = new ArrayList<>();
    ExecutorService pool = Executors.newCachedThreadPool();
    try {
      List<Future<Hypervisor>> fs = new ArrayList<>();
      for (Manifest.Guest g : mine) {
        fs.add(
            pool.submit(
                () -> {
                  Hypervisor h = launcher.startIncoming(g.name(), g.port(), g.spec());
                  synchronized (started) {
                    started.add(h);
                  }
                  h.load(c.dir().resolve(g.image().file()), settings.save());
                  return h;
                }));
      }
      List<Hypervisor> guests = new ArrayList<>();
      for (int i = 0; i < fs.size(); i++) {
        try {
          guests.add(fs.get(i).get());
        } catch (java.util.concurrent.ExecutionException e) {
          Throwable cause = e.getCause();
          throw new CheckpointException(
              mine.get(i).name(),
              "restore",
              "cannot start or load the guest: " + cause.getMessage(),
              "see the guest's QEMU log; the restore was abandoned",
              cause);
        }
      }
      progress.step("restore " + c.name() + ": images loaded");
      restoreMacs(c);
      return new Loaded(c, mine, guests, start, channels);
    } catch (CheckpointException | RuntimeException | InterruptedException e) {
      abandon(mine, started);
      if (e instanceof CheckpointException ce) {
        throw ce;
      }
      throw new CheckpointException(null, "restore", String.valueOf(e.getMessage()), null, e);
    } finally {
      pool.shutdownNow();
    }
  }

  /** Continues every loaded guest, then releases the holds: the channel state replays first. */
  public Restored go(Loaded l) throws CheckpointException {
    for (Hypervisor h : l.started) {
      try {
        h.cont(settings.qmp());
      } catch (Exception e) {
        throw new CheckpointException(
            h.name(),
            "restore",
            "cannot continue the guest: " + e.getMessage(),
            "see its QEMU log",
            e);
      }
    }
    for (Manifest.Guest g : l.mine) {
      sw.release(g.port());
    }
    long ns = System.nanoTime() - l.startNs;
    progress.step(
        String.format(
            "restore %s: %d guest(s) running, %d frame(s) replayed, %.2f s",
            l.checkpoint.name(), l.started.size(), l.replay, ns / 1e9));
    return new Restored(List.copyOf(l.started), ns, l.replay);
  }

  private void abandon(List<Manifest.Guest> mine, List<Hypervisor> started) {
    synchronized (started) {
      for (Hypervisor h : started) {
        h.kill();
      }
    }
    for (Manifest.Guest g : mine) {
      try {
        sw.release(g.port());
      } catch (RuntimeException ignored) {
        // the port may be gone; nothing is held on it then
      }
    }
  }

  /** This switch's state in the checkpoint: its own file when there are several. */
  private JsonNode switchState(CheckpointStore.Committed c) throws CheckpointException {
    Manifest m = c.manifest();
    Manifest.FileRef ref = m.switchState();
    if (m.switchStates() != null) {
      String want = Agent.switchStateFile(sw.context().name);
      ref = m.switchStates().stream().filter(f -> f.file().equals(want)).findFirst().orElse(null);
      if (ref == null) {
        throw new CheckpointException(
            null,
            "verify",
            "the checkpoint has no state for switch " + sw.context().name + " (no " + want + ")",
            "restore on the switches the checkpoint was taken on (same names)",
            null);
      }
    }
    if (ref == null) {
      return new ObjectMapper().createObjectNode();
    }
    try {
      return new ObjectMapper().readTree(c.dir().resolve(ref.file()).toFile());
    } catch (java.io.IOException e) {
      throw new CheckpointException(
          null, "verify", "switch state unreadable: " + e.getMessage(), null, e);
    }
  }

  private void restoreMacs(CheckpointStore.Committed c) throws CheckpointException {
    for (JsonNode mac : switchState(c).path("macs")) {
      String port = mac.path("port").asText();
      if (sw.port(port) != null && !mac.path("static").asBoolean()) {
        sw.learnMac(MacAddress.parse(mac.path("mac").asText()), port, mac.path("vlan").asInt(1));
      }
    }
  }
}
