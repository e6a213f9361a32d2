package org.vccp.qemu.sim;

import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * The simulated machine: run state, guest clock, guest memory and the "vCPU" thread that runs the
 * workload. One lock guards all of it (QEMU's big lock, in miniature); QMP commands, the netdev's
 * reader and writer, migration and the vCPU all take it, so a {@code stop} is a clean cut: after it
 * returns the workload does nothing more, no frame is read into the guest and none is written.
 *
 * <p>Like QEMU, a netdev reader blocked in {@code read} when the guest stops may still complete one
 * frame; that frame waits in {@link #rxLimbo}, outside guest memory, until {@code cont}. It is not
 * in the image, so a restore loses it exactly as a real guest restore does.
 */
final class SimMachine {
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final SimGuestOptions options;
  private final SerialReport serial;
  private final VmClock clock = new VmClock();
  private final ArrayDeque<byte[]> rxLimbo = new ArrayDeque<>();
  private GuestMemory memory;
  private RunState state;
  private boolean autostart = true;
  private boolean shutdown;
  private Thread vcpu;

  SimMachine(SimGuestOptions options, SerialReport serial) {
    this.options = options;
    this.serial = serial;
    this.memory = GuestMemory.fresh(options);
    this.state = options.incomingDefer() ? RunState.INMIGRATE : RunState.RUNNING;
  }

  /** Starts the vCPU: a fresh guest boots and runs, an incoming one waits for its image. */
  void start() {
    lock.lock();
    try {
      if (state == RunState.RUNNING) {
        clock.start();
        long now = clock.nowNs();
        String ip = options.ip() == null ? "none" : options.ip();
        serial.report("BOOT", "name", options.name(), "kernel", "vccp-sim-guest", "uptime_ms", 0);
        serial.report(
            "READY",
            "name",
            options.name(),
            "ip",
            ip,
            "mac",
            options.mac(),
            "workload",
            options.workload().cliName(),
            "uptime_ms",
            now / 1_000_000);
        memory.nextReportNs = now + reportPeriodNs();
        memory.workload.boot(now, serial);
      }
    } finally {
      lock.unlock();
    }
    vcpu = new Thread(this::runVcpu, "vcpu-" + options.name());
    vcpu.setDaemon(true);
    vcpu.start();
  }

  RunState state() {
    lock.lock();
    try {
      return state;
    } finally {
      lock.unlock();
    }
  }

  /** QMP stop: true if the guest was running and is now paused (a STOP event is due). */
  boolean stop() {
    lock.lock();
    try {
      if (state == RunState.INMIGRATE) {
        autostart = false;
        return false;
      }
      if (state != RunState.RUNNING) {
        return false;
      }
      pause(RunState.PAUSED);
      return true;
    } finally {
      lock.unlock();
    }
  }

  /**
   * QMP cont: true if the guest now runs (a RESUME event is due); during an incoming migration it
   * only sets autostart, as QEMU does.
   */
  boolean cont() {
    lock.lock();
    try {
      switch (state) {
        case INMIGRATE:
          autostart = true;
          return false;
        case RUNNING:
          return false;
        case FINISH_MIGRATE:
          throw new IllegalStateException("a migration is in progress; wait until it completes");
        default:
          resume();
          return true;
      }
    } finally {
      lock.unlock();
    }
  }

  /** The image for an outgoing migration, and how taking it changed the run state. */
  record Save(byte[] stream, RunState before, boolean wasRunning, boolean resumed) {}

  /**
   * Takes the image. A running guest is stopped for it (its cut); with {@code background} it runs
   * again at once (the image is the guest as it was at that stop), otherwise it stays stopped in
   * {@code finish-migrate} until {@link #migrationEnded}.
   */
  Save saveForMigration(boolean background) {
    lock.lock();
    try {
      if (state == RunState.INMIGRATE) {
        throw new IllegalStateException("the guest is waiting for an incoming migration");
      }
      RunState before = state;
      boolean wasRunning = state == RunState.RUNNING;
      if (wasRunning) {
        pause(RunState.PAUSED);
      }
      memory.savedState = wasRunning ? RunState.RUNNING : RunState.PAUSED;
      memory.clockNs = clock.nowNs();
      byte[] stream = memory.encode();
      if (wasRunning && background) {
        resume();
        return new Save(stream, before, true, true);
      }
      state = RunState.FINISH_MIGRATE;
      return new Save(stream, before, wasRunning, false);
    } finally {
      lock.unlock();
    }
  }

  /**
   * After an outgoing migration: completed leaves the guest in {@code postmigrate}; failed runs it
   * again if it ran before, else returns it to its earlier state. Returns true if it resumed (a
   * RESUME event is due).
   */
  boolean migrationEnded(Save save, boolean completed) {
    lock.lock();
    try {
      if (state != RunState.FINISH_MIGRATE) {
        return false; // background snapshot: the guest already runs
      }
      if (completed) {
        state = RunState.POSTMIGRATE;
        return false;
      }
      if (save.wasRunning()) {
        resume();
        return true;
      }
      state = save.before();
      return false;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Loads an incoming image; the guest then runs if it ran when saved and autostart is on (a RESUME
   * event is due: returns true), else it is paused.
   */
  boolean loadIncoming(byte[] stream) throws SimImageException {
    GuestMemory loaded = GuestMemory.decode(stream);
    loaded.checkLoadableBy(options);
    lock.lock();
    try {
      if (state != RunState.INMIGRATE) {
        throw new IllegalStateException("the guest is not waiting for an incoming migration");
      }
      memory = loaded;
      clock.set(loaded.clockNs);
      rxLimbo.clear();
      if (loaded.savedState == RunState.RUNNING && autostart) {
        resume();
        return true;
      }
      state = RunState.PAUSED;
      return false;
    } finally {
      lock.unlock();
    }
  }

  /** Ends the vCPU and releases every thread waiting on the machine. */
  void shutdown() {
    lock.lock();
    try {
      shutdown = true;
      pause(state == RunState.RUNNING ? RunState.PAUSED : state);
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  // ---- netdev side -----------------------------------------------------------------------

  /** Blocks until the guest runs (a stopped QEMU does not read its socket); false if closing. */
  boolean awaitRunning(BooleanSupplier open) throws InterruptedException {
    lock.lock();
    try {
      while (!shutdown && open.getAsBoolean() && state != RunState.RUNNING) {
        changed.await();
      }
      return !shutdown && open.getAsBoolean();
    } finally {
      lock.unlock();
    }
  }

  /** A frame read from the socket: into the guest if it runs, else it waits outside the image. */
  void deliver(byte[] frame) {
    lock.lock();
    try {
      if (state == RunState.RUNNING) {
        memory.net.receive(frame, clock.nowNs(), memory.workload, serial);
        changed.signalAll();
      } else {
        rxLimbo.add(frame);
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * The next frame to write while the guest runs; blocks while it is stopped or has nothing to
   * send. Null when {@code open} turns false or the machine shuts down.
   */
  byte[] awaitTx(BooleanSupplier open) throws InterruptedException {
    lock.lock();
    try {
      while (!shutdown && open.getAsBoolean()) {
        if (state == RunState.RUNNING && !memory.net.txEmpty()) {
          byte[] frame = memory.net.takeTx();
          changed.signalAll(); // the sender may be waiting for ring space
          return frame;
        }
        changed.await();
      }
      return null;
    } finally {
      lock.unlock();
    }
  }

  /** Wakes netdev threads so they notice their connection closed. */
  void wakeAll() {
    lock.lock();
    try {
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  // ---- internals (lock held) -------------------------------------------------------------

  private void pause(RunState to) {
    clock.stop();
    state = to;
    changed.signalAll();
  }

  private void resume() {
    state = RunState.RUNNING;
    clock.start();
    long now = clock.nowNs();
    while (!rxLimbo.isEmpty()) {
      memory.net.receive(rxLimbo.poll(), now, memory.workload, serial);
    }
    changed.signalAll();
  }

  private long reportPeriodNs() {
    return TimeUnit.MILLISECONDS.toNanos(options.reportMs());
  }

  private void runVcpu() {
    lock.lock();
    try {
      while (!shutdown) {
        if (state != RunState.RUNNING) {
          changed.await();
          continue;
        }
        long now = clock.nowNs();
        long wake = memory.workload.tick(now, memory.net, serial);
        if (now >= memory.nextReportNs) {
          memory.workload.report(serial);
          memory.nextReportNs +=
              reportPeriodNs() * ((now - memory.nextReportNs) / reportPeriodNs() + 1);
        }
        if (!memory.net.txEmpty()) {
          changed.signalAll(); // the netdev writer
        }
        long waitNs = Math.min(wake, memory.nextReportNs) - now;
        if (waitNs > 0) {
          changed.awaitNanos(waitNs);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      lock.unlock();
    }
  }
}
