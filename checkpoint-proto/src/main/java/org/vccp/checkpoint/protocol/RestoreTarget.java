package org.vccp.checkpoint.protocol;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.vccp.checkpoint.store.CheckpointRefusedException;
import org.vccp.checkpoint.store.CheckpointStore;

/**
 * One switch's side of a restore of a cluster that spans several (agent requests {@code
 * restore-load}, {@code restore-fence}, {@code restore-settle}, {@code restore-go}, {@code
 * restore-abandon}; docs/architecture.md, "Multi-host"). {@link #restoreAll} drives the steps, each
 * on every target before the next, for agents on other hosts ({@link RemoteAgent}) and for clusters
 * in one process alike.
 */
public interface RestoreTarget {
  /**
   * Verifies the checkpoint in {@code checkpointDir} (a path on this host), then replaces this
   * host's running guests with the checkpoint's guests on its switch: started, loaded, paused,
   * their ports held with their channel state queued.
   *
   * @return the names of the guests loaded
   */
  List<String> restoreLoad(Path checkpointDir) throws CheckpointException;

  /**
   * One round of flushing this host's inter-switch links (see {@link Restorer#fence}); repeated on
   * every host until the totals stop changing.
   */
  long restoreFence() throws CheckpointException;

  /**
   * Drops frames of the abandoned run held for the loaded guests and queues their channel state.
   */
  void restoreSettle() throws CheckpointException;

  /**
   * Continues the loaded guests and replays their channel state.
   *
   * @return frames replayed
   */
  long restoreGo() throws CheckpointException;

  /** Kills what {@link #restoreLoad} started and releases its holds; never throws. */
  void restoreAbandon();

  /** What {@link #restoreAll} restored. */
  record Restored(List<String> guests, long replayedFrames) {}

  /**
   * Restores the checkpoint in {@code checkpointDir} on every target: verifies it here first (so a
   * bad checkpoint is refused before any guest is touched), then load, fence until nothing moves
   * (with several targets, as the coordinator's checkpoint flushes only then), settle and go, each
   * on every target before the next. A failure before go abandons every target's part.
   *
   * @param out one line per target loaded
   */
  static Restored restoreAll(
      List<? extends RestoreTarget> targets, Path checkpointDir, Consumer<String> out)
      throws CheckpointException {
    Path dir = checkpointDir.toAbsolutePath();
    CheckpointStore.Committed c;
    try {
      c = new CheckpointStore(dir.getParent()).open(dir.toString());
    } catch (CheckpointRefusedException | java.io.IOException e) {
      throw new CheckpointException(
          null, "verify", e.getMessage(), "pick an earlier checkpoint (vccp checkpoints)", e);
    }
    Restorer.verify(c);
    List<RestoreTarget> loaded = new ArrayList<>();
    List<String> guests = new ArrayList<>();
    try {
      for (RestoreTarget t : targets) {
        List<String> names = t.restoreLoad(dir);
        loaded.add(t);
        guests.addAll(names);
        String where = t instanceof AgentLink a ? a.host() + ": " : "";
        out.accept(where + "loaded " + String.join(", ", names));
      }
      if (targets.size() > 1) {
        LinkFlush.untilStable(
            () -> {
              long total = 0;
              for (RestoreTarget t : targets) {
                total += t.restoreFence();
              }
              return total;
            },
            "restore");
      }
      for (RestoreTarget t : targets) {
        t.restoreSettle();
      }
    } catch (CheckpointException | RuntimeException e) {
      loaded.forEach(RestoreTarget::restoreAbandon);
      throw e;
    }
    long replayed = 0;
    for (RestoreTarget t : targets) {
      replayed += t.restoreGo();
    }
    return new Restored(guests, replayed);
  }
}
