package org.vccp.checkpoint.protocol;

/** Progress of a checkpoint or restore, one line per step, for a terminal or a log. */
@FunctionalInterface
public interface Progress {
  void step(String line);

  Progress SILENT = line -> {};
}
