package org.vccp.checkpoint.protocol;

/**
 * A checkpoint or restore that failed, naming the guest (or "-" when none), the phase, what
 * happened, and what the user can do.
 */
public final class CheckpointException extends Exception {
  private final String guest;
  private final String phase;
  private final String hint;

  public CheckpointException(
      String guest, String phase, String what, String hint, Throwable cause) {
    super(
        "epoch failed in "
            + phase
            + (guest != null ? " on guest " + guest : "")
            + ": "
            + what
            + (hint != null ? " — " + hint : ""),
        cause);
    this.guest = guest;
    this.phase = phase;
    this.hint = hint;
  }

  public String guest() {
    return guest;
  }

  public String phase() {
    return phase;
  }

  public String hint() {
    return hint;
  }
}
