package org.vccp.vnet.ring;

import com.lmax.disruptor.BlockingWaitStrategy;
import com.lmax.disruptor.BusySpinWaitStrategy;
import com.lmax.disruptor.SleepingWaitStrategy;
import com.lmax.disruptor.WaitStrategy;
import com.lmax.disruptor.YieldingWaitStrategy;

/** The forwarder's wait strategies, by the name used in settings. */
public enum WaitStrategyName {
  /**
   * Spins for 10 µs, yields for 100 µs, then blocks until signalled: no CPU when idle. The default,
   * for throughput through pcap ports (their captures publish few frames at a time; {@link
   * #BLOCKING} carried 17–23% less iperf3 TCP). At a steady tens of thousands of frames/s it never
   * reaches the blocking phase and keeps a core busy (1.1 cores at 10,000 frames/s). While
   * recording it blocks at once, as {@link #BLOCKING} does ({@link PhasedWait}).
   */
  PHASED,
  /** Spins, yields, then parks for short periods: low latency, some CPU when idle. */
  SLEEPING,
  /**
   * Lock and condition: the forwarder sleeps until an ingress thread publishes. The choice when CPU
   * matters (guests on the same cores): stream ports publish each read's frames at once, so the
   * signal costs once per read; against {@link #PHASED} in interleaved runs, the same frames/s at
   * 64 and 1500 bytes, the same or lower p99 at 10,000 frames/s, and 0.33 instead of 1.11 cores
   * there (BENCHMARKS.md).
   */
  BLOCKING,
  /** Spins then yields: low latency, one busy core. */
  YIELDING,
  /** Spins: lowest latency, one core always busy. */
  BUSY_SPIN;

  WaitStrategy create() {
    return switch (this) {
      case PHASED -> new PhasedWait();
      case SLEEPING -> new SleepingWaitStrategy(200, 100);
      case BLOCKING -> new BlockingWaitStrategy();
      case YIELDING -> new YieldingWaitStrategy();
      case BUSY_SPIN -> new BusySpinWaitStrategy();
    };
  }
}
