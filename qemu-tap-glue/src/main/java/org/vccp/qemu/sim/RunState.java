package org.vccp.qemu.sim;

/** QEMU's run states that a simulated guest can be in, by their {@code query-status} names. */
enum RunState {
  /** Started with {@code --incoming defer}: waiting for {@code migrate-incoming}. */
  INMIGRATE("inmigrate", false),
  RUNNING("running", true),
  /** Stopped by {@code stop}, or restored from an image of a stopped guest. */
  PAUSED("paused", false),
  /** Stopped while {@code migrate} writes the image. */
  FINISH_MIGRATE("finish-migrate", false),
  /** Stopped after a completed outgoing migration; {@code cont} runs it again. */
  POSTMIGRATE("postmigrate", false);

  private final String qmpName;
  private final boolean running;

  RunState(String qmpName, boolean running) {
    this.qmpName = qmpName;
    this.running = running;
  }

  String qmpName() {
    return qmpName;
  }

  boolean running() {
    return running;
  }

  static RunState fromQmpName(String name) {
    for (RunState state : values()) {
      if (state.qmpName.equals(name)) {
        return state;
      }
    }
    throw new IllegalArgumentException("unknown run state " + name);
  }
}
