package org.vccp.perf.loadgen;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A snapshot of CPU time from {@code /proc}: the whole host, this JVM (the generator) and the
 * peer's process. Two snapshots give how many cores each used on average in between, and what
 * everything else on the host used; on a shared 2-core machine that last number says how much to
 * trust a row.
 *
 * <p>{@code /proc} counts in clock ticks of 10 ms ({@code USER_HZ} = 100 on Linux), so a 10 s run
 * resolves about 0.001 cores.
 */
final class CpuSample {
  private static final double TICKS_PER_SECOND = 100.0;

  private final long nanoTime;
  private final long hostBusyTicks;
  private final long selfTicks;
  private final long peerTicks;

  private CpuSample(long nanoTime, long hostBusyTicks, long selfTicks, long peerTicks) {
    this.nanoTime = nanoTime;
    this.hostBusyTicks = hostBusyTicks;
    this.selfTicks = selfTicks;
    this.peerTicks = peerTicks;
  }

  /**
   * Cores used on average between two samples.
   *
   * @param generatorCores this JVM: the load generator's threads plus JVM housekeeping
   * @param peerCores the peer's process, or 0 when it has none
   * @param otherCores everything else on the host, including steal by the hypervisor
   */
  public record Usage(double generatorCores, double peerCores, double otherCores) {}

  /** Samples now; {@code peerPid} below 0 means no peer process. */
  static CpuSample take(long peerPid) {
    return new CpuSample(
        System.nanoTime(),
        hostBusyTicks(),
        processTicks(ProcessHandle.current().pid()),
        peerPid < 0 ? 0 : processTicks(peerPid));
  }

  /** Average cores used from {@code start} to this sample; -1 parts if /proc was unreadable. */
  Usage since(CpuSample start) {
    double seconds = (nanoTime - start.nanoTime) / 1e9;
    if (seconds <= 0 || hostBusyTicks < 0 || start.hostBusyTicks < 0) {
      return new Usage(-1, -1, -1);
    }
    double self = (selfTicks - start.selfTicks) / TICKS_PER_SECOND / seconds;
    double peer = (peerTicks - start.peerTicks) / TICKS_PER_SECOND / seconds;
    double host = (hostBusyTicks - start.hostBusyTicks) / TICKS_PER_SECOND / seconds;
    return new Usage(round(self), round(peer), round(Math.max(0, host - self - peer)));
  }

  private static double round(double cores) {
    return Math.round(cores * 100) / 100.0;
  }

  /** Busy ticks of all CPUs: everything in the {@code cpu} line except idle and iowait. */
  private static long hostBusyTicks() {
    try {
      String line = Files.readAllLines(Path.of("/proc/stat")).get(0);
      String[] f = line.trim().split("\\s+");
      long busy = 0;
      for (int i = 1; i < Math.min(f.length, 9); i++) {
        if (i != 4 && i != 5) {
          busy += Long.parseLong(f[i]);
        }
      }
      return busy;
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /** utime + stime of a process, summed over its threads; 0 if it is gone. */
  private static long processTicks(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }
}
