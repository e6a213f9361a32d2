package org.vccp.perf.loadgen;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The phases one generator run goes through, shared by the {@link LoadGenerator} and its port
 * agents.
 *
 * <pre>
 *  connect ─▶ hello: receivers broadcast until every sender heard each of them (sendersReady)
 *          ─▶ go: the generator fixes the timeline and releases everyone
 *          ─▶ warmup ─▶ measurement window ─▶ senders stop (sendersDone)
 *          ─▶ drain: receivers keep reading until quiet ─▶ stop
 * </pre>
 *
 * The timeline fields are written once before {@link #go} is released and read only after it, so
 * the latch publishes them.
 */
final class RunControl {
  private final CountDownLatch sendersReady;
  private final CountDownLatch go = new CountDownLatch(1);
  private final CountDownLatch sendersDone;
  private long sendStartNs;
  private long measureStartNs;
  private long measureEndNs;
  private volatile boolean stop;
  private volatile Throwable failure;

  RunControl(int senders) {
    this.sendersReady = new CountDownLatch(senders);
    this.sendersDone = new CountDownLatch(senders);
  }

  /** Called by the generator once every sender is ready. */
  void release(long sendStartNs, long warmupNs, long durationNs) {
    this.sendStartNs = sendStartNs;
    this.measureStartNs = sendStartNs + warmupNs;
    this.measureEndNs = measureStartNs + durationNs;
    go.countDown();
  }

  boolean released() {
    return go.getCount() == 0;
  }

  /** Waits for {@link #release}; false if the run stopped first. */
  boolean awaitRelease() throws InterruptedException {
    while (!stop) {
      if (go.await(10, TimeUnit.MILLISECONDS)) {
        return true;
      }
    }
    return false;
  }

  long sendStartNs() {
    return sendStartNs;
  }

  long measureStartNs() {
    return measureStartNs;
  }

  long measureEndNs() {
    return measureEndNs;
  }

  CountDownLatch sendersReady() {
    return sendersReady;
  }

  CountDownLatch sendersDone() {
    return sendersDone;
  }

  void stop() {
    stop = true;
  }

  boolean stopped() {
    return stop;
  }

  /** Records the first failure of any agent and stops the run. */
  void fail(Throwable cause) {
    if (failure == null) {
      failure = cause;
    }
    stop = true;
  }

  Throwable failure() {
    return failure;
  }
}
