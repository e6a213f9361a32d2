package org.vccp.checkpoint.store;

/** A checkpoint that must not be restored (missing, uncommitted, corrupt), with the reason. */
public final class CheckpointRefusedException extends RuntimeException {
  public CheckpointRefusedException(String message) {
    super(message);
  }
}
