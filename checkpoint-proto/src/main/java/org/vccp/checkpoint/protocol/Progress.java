package org.vccp.checkpoint.protocol;

/**
 * Progress of a checkpoint or restore, one line per step, for a terminal or a log. Called
 * synchronously by the thread doing the work (see {@link Agent} for the lines that mark phases).
 */
@FunctionalInterface
public interface Progress {
  void step(String line);

  Progress SILENT = line -> {};
}
