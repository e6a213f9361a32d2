package org.vccp.qemu.sim;

/**
 * The guest's monotonic clock: it advances only while the guest runs, like a real guest's clock
 * under QEMU, and its reading is part of the migration image, so a restored guest's timers (sender
 * pacing, report period) continue where they were instead of catching up in a burst. Not
 * thread-safe: used under the machine lock.
 */
final class VmClock {
  private long accumulatedNs;
  private long runningSinceNanoTime;
  private boolean running;

  long nowNs() {
    return running ? accumulatedNs + (System.nanoTime() - runningSinceNanoTime) : accumulatedNs;
  }

  void start() {
    if (!running) {
      runningSinceNanoTime = System.nanoTime();
      running = true;
    }
  }

  void stop() {
    if (running) {
      accumulatedNs += System.nanoTime() - runningSinceNanoTime;
      running = false;
    }
  }

  /** Sets a stopped clock to a saved reading. */
  void set(long ns) {
    if (running) {
      throw new IllegalStateException("the guest clock is set only while the guest is stopped");
    }
    accumulatedNs = ns;
  }
}
