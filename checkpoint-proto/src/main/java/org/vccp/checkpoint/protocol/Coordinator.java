package org.vccp.checkpoint.protocol;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.vccp.checkpoint.store.CheckpointStore;
import org.vccp.checkpoint.store.Manifest;

/**
 * Runs checkpoint epochs across the agents of a cluster (stop-the-world, docs/architecture.md):
 * prepare everywhere, snapshot everywhere, resume everywhere, then commit the manifest. Guests are
 * resumed before the commit (the files are complete and fsynced by then, so a failed commit loses
 * only that checkpoint) — this keeps the manifest's fsyncs out of the downtime. Any failure before
 * the resume abandons the epoch on every agent: no guest stays paused, no hold stays on, the
 * partial directory is deleted and earlier checkpoints are untouched.
 */
public final class Coordinator {
  private final CheckpointStore store;
  private final List<AgentLink> agents;
  private final Progress progress;
  private final Manifest.Recording recording;

  /**
   * @param recording the switch recording the agents mark into, or null
   */
  public Coordinator(
      CheckpointStore store,
      List<AgentLink> agents,
      Manifest.Recording recording,
      Progress progress) {
    this.store = store;
    this.agents = List.copyOf(agents);
    this.recording = recording;
    this.progress = progress;
  }

  /** One VCCP checkpoint. */
  public CheckpointResult checkpoint() throws CheckpointException {
    return run(false);
  }

  /**
   * The naive procedure (stop every guest, save, continue; no holds), which loses frames at
   * restore. Only for the comparisons that show why the hold gate exists.
   */
  public CheckpointResult naiveCheckpoint() throws CheckpointException {
    return run(true);
  }

  /**
   * Every guest is stopped: flush the links between switches until a whole round moves no frame, so
   * what was in flight between hosts at the cut is held at its guest port (a frame may cross
   * several switches, one per round).
   */
  private void flushLinks(long epoch) throws CheckpointException {
    LinkFlush.untilStable(
        () -> {
          long total = 0;
          for (AgentLink a : agents) {
            total += a.flushLinks(epoch);
          }
          return total;
        },
        "prepare");
  }

  private CheckpointResult run(boolean naive) throws CheckpointException {
    long start = System.nanoTime();
    long epoch;
    Path dir;
    try {
      epoch = store.nextEpoch();
      dir = store.begin(epoch);
    } catch (java.io.IOException e) {
      throw new CheckpointException(
          null,
          "prepare",
          "cannot create a checkpoint in " + store.root() + ": " + e.getMessage(),
          "check the store path and its permissions",
          e);
    }
    progress.step(
        "epoch "
            + epoch
            + ": "
            + (naive ? "naive checkpoint" : "checkpoint")
            + " of "
            + agents.size()
            + " host(s)");
    List<AgentLink.Prepared> prepared = new ArrayList<>();
    List<AgentLink.Snapshotted> snapshots = new ArrayList<>();
    try {
      for (AgentLink a : agents) {
        prepared.add(a.prepare(epoch, naive));
      }
      if (agents.size() > 1 && !naive) {
        flushLinks(epoch);
      }
      for (AgentLink a : agents) {
        snapshots.add(a.snapshot(epoch, dir));
      }
    } catch (CheckpointException | RuntimeException e) {
      String reason = e.getMessage();
      for (AgentLink a : agents) {
        a.abort(epoch, "failed");
      }
      discardKeeping(dir, e);
      if (e instanceof CheckpointException ce) {
        throw ce;
      }
      throw new CheckpointException(null, "prepare", reason, null, e);
    }
    long lastCont = 0;
    CheckpointException resumeFailure = null;
    for (AgentLink a : agents) {
      try {
        lastCont = Math.max(lastCont, a.resume(epoch).lastContNs());
      } catch (CheckpointException e) {
        resumeFailure = e;
      }
    }
    long firstStop = prepared.stream().mapToLong(AgentLink.Prepared::firstStopNs).min().orElse(0);
    long downtime = Math.max(0, lastCont - firstStop);
    List<Manifest.Guest> guests = new ArrayList<>();
    List<Manifest.Channel> channels = new ArrayList<>();
    long held = 0;
    for (AgentLink.Snapshotted s : snapshots) {
      guests.addAll(s.guests());
      channels.addAll(s.channels());
      held += s.heldFrames();
    }
    Manifest.FileRef switchState = snapshots.isEmpty() ? null : snapshots.get(0).switchState();
    List<Manifest.FileRef> switchStates =
        snapshots.size() > 1
            ? snapshots.stream().map(AgentLink.Snapshotted::switchState).toList()
            : null;
    long total = System.nanoTime() - start;
    Manifest m =
        new Manifest(
            Manifest.FORMAT,
            epoch,
            naive ? "naive" : "stop-the-world",
            Instant.now().toString(),
            downtime,
            total,
            recording,
            guests,
            channels,
            switchState,
            switchStates);
    Path committed;
    try {
      committed = store.commit(dir, m);
    } catch (java.io.IOException e) {
      discardKeeping(dir, e);
      throw new CheckpointException(
          null,
          "commit",
          "cannot commit the manifest: " + e.getMessage(),
          "check free space in " + store.root() + "; earlier checkpoints are untouched",
          e);
    }
    for (AgentLink a : agents) {
      a.mark("vccp:mark epoch=" + epoch + " phase=commit");
    }
    long imageBytes = guests.stream().mapToLong(g -> g.image().bytes()).sum();
    progress.step(
        String.format(
            "epoch %d: committed %s — downtime %.0f ms, %d held frame(s), %d MiB",
            epoch, committed.getFileName(), downtime / 1e6, held, imageBytes >> 20));
    if (resumeFailure != null) {
      throw resumeFailure;
    }
    return new CheckpointResult(epoch, committed, downtime, total, held, imageBytes);
  }

  /** Deletes a failed epoch's directory; if that fails too, the epoch's own failure still wins. */
  private void discardKeeping(Path dir, Exception cause) {
    try {
      store.discard(dir);
    } catch (RuntimeException e) {
      cause.addSuppressed(e);
    }
  }
}
