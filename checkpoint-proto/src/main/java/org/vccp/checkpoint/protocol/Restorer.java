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
    long start = System.nanoTime();
    Manifest m = c.manifest();
    long epoch = m.epoch();
    Map<String, List<HeldFrame>> channels = new LinkedHashMap<>();
    try {
      CheckpointStore.verify(c);
      for (Manifest.Channel ch : m.channels()) {
        channels.put(ch.port(), ChannelStateFile.read(c.dir().resolve(ch.file()), epoch));
      }
    } catch (CheckpointRefusedException | java.io.IOException e) {
      throw new CheckpointException(
          null,
          "verify",
          e.getMessage(),
          "pick an earlier checkpoint (vccp checkpoints); no guest was touched",
          e);
    }
    for (Manifest.Guest g : m.guests()) {
      if (sw.port(g.port()) == null) {
        throw new CheckpointException(
            g.name(),
            "verify",
            "the switch has no port " + g.port(),
            "start the cluster's switch with the checkpoint's ports",
            null);
      }
    }
    progress.step("restore " + c.name() + ": checksums ok, " + m.guests().size() + " guest(s)");
    onVerified.run();
    sw.mark("vccp:mark epoch=" + epoch + " phase=restore");
    for (Manifest.Guest g : m.guests()) {
      sw.hold(g.port(), epoch);
    }
    List<Hypervisor> started = new ArrayList<>();
    ExecutorService pool = Executors.newCachedThreadPool();
    try {
      List<Future<Hypervisor>> fs = new ArrayList<>();
      for (Manifest.Guest g : m.guests()) {
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
              m.guests().get(i).name(),
              "restore",
              "cannot start or load the guest: " + cause.getMessage(),
              "see the guest's QEMU log; the restore was abandoned",
              cause);
        }
      }
      progress.step("restore " + c.name() + ": images loaded");
      restoreMacs(c);
      long replay = 0;
      for (Map.Entry<String, List<HeldFrame>> e : channels.entrySet()) {
        sw.loadHeldFrames(e.getKey(), e.getValue());
        replay += e.getValue().size();
      }
      for (Hypervisor h : guests) {
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
      for (Manifest.Guest g : m.guests()) {
        sw.release(g.port());
      }
      long ns = System.nanoTime() - start;
      progress.step(
          String.format(
              "restore %s: %d guest(s) running, %d frame(s) replayed, %.2f s",
              c.name(), guests.size(), replay, ns / 1e9));
      return new Restored(guests, ns, replay);
    } catch (CheckpointException | RuntimeException | InterruptedException e) {
      for (Hypervisor h : started) {
        h.kill();
      }
      for (Manifest.Guest g : m.guests()) {
        try {
          sw.release(g.port());
        } catch (RuntimeException ignored) {
          // the port may be gone; nothing is held on it then
        }
      }
      if (e instanceof CheckpointException ce) {
        throw ce;
      }
      throw new CheckpointException(null, "restore", String.valueOf(e.getMessage()), null, e);
    } finally {
      pool.shutdownNow();
    }
  }

  private void restoreMacs(CheckpointStore.Committed c) {
    if (c.manifest().switchState() == null) {
      return;
    }
    try {
      JsonNode state =
          new ObjectMapper().readTree(c.dir().resolve(c.manifest().switchState().file()).toFile());
      for (JsonNode mac : state.path("macs")) {
        String port = mac.path("port").asText();
        if (sw.port(port) != null && !mac.path("static").asBoolean()) {
          sw.learnMac(MacAddress.parse(mac.path("mac").asText()), port, mac.path("vlan").asInt(1));
        }
      }
    } catch (java.io.IOException e) {
      throw new CheckpointRefusedException("switch state unreadable: " + e.getMessage());
    }
  }
}
