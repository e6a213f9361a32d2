package org.vccp.checkpoint.protocol;

import java.nio.file.Path;
import java.util.List;

/**
 * One host's side of a restore driven by a coordinator on another host (agent requests {@code
 * restore-load}, {@code restore-go}, {@code restore-abandon}): every host loads its part of the
 * checkpoint, and only when all have does any guest continue ({@link Restorer#restoreAll} is the
 * same in one process).
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
}
