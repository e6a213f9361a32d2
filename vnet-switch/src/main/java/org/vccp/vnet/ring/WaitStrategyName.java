package org.vccp.vnet.ring;

import com.lmax.disruptor.BlockingWaitStrategy;
import com.lmax.disruptor.BusySpinWaitStrategy;
import com.lmax.disruptor.PhasedBackoffWaitStrategy;
import com.lmax.disruptor.SleepingWaitStrategy;
import com.lmax.disruptor.WaitStrategy;
import com.lmax.disruptor.YieldingWaitStrategy;
import java.util.concurrent.TimeUnit;

/** The forwarder's wait strategies, by the name used in settings. */
public enum WaitStrategyName {
  /**
   * Spins for 10 µs, yields for 100 µs, then blocks until signalled: low latency under load and no
   * CPU when idle. The default.
   */
  PHASED,
  /** Spins, yields, then parks for short periods: low latency, some CPU when idle. */
  SLEEPING,
  /** Lock and condition: least CPU when idle, highest wake-up latency. */
  BLOCKING,
  /** Spins then yields: low latency, one busy core. */
  YIELDING,
  /** Spins: lowest latency, one core always busy. */
  BUSY_SPIN;

  WaitStrategy create() {
    return switch (this) {
      case PHASED -> PhasedBackoffWaitStrategy.withLock(10, 100, TimeUnit.MICROSECONDS);
      case SLEEPING -> new SleepingWaitStrategy(200, 100);
      case BLOCKING -> new BlockingWaitStrategy();
      case YIELDING -> new YieldingWaitStrategy();
      case BUSY_SPIN -> new BusySpinWaitStrategy();
    };
  }
}
