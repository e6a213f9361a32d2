package org.vccp.checkpoint.protocol;

import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.vccp.vnet.VirtualSwitch;
import org.vccp.vnet.port.Port;
import org.vccp.vnet.status.PortCounter;

/**
 * One round of flushing a switch's links to other switches (every port that is not a guest's): wait
 * until each has nothing unsent (egress queue, Netty, kernel send queue: on a Unix or TCP link,
 * sent means in the peer switch's socket), then let what arrived on it be read and forwarded.
 * Callers repeat rounds on every switch until the returned totals stop changing
 * (docs/architecture.md, "Multi-host").
 */
public final class LinkFlush {
  private LinkFlush() {}

  /** At most this many rounds: a frame crosses one switch per round. */
  public static final int MAX_ROUNDS = 16;

  /** One round over every switch; returns the sum of their link counters. */
  public interface Round {
    long run() throws CheckpointException;
  }

  /**
   * Runs {@code round} until two rounds in a row return the same total.
   *
   * @param phase for the error when the totals never settle
   */
  public static void untilStable(Round round, String phase) throws CheckpointException {
    long previous = -1;
    for (int i = 1; i <= MAX_ROUNDS; i++) {
      long total = round.run();
      if (total == previous) {
        return;
      }
      previous = total;
    }
    throw new CheckpointException(
        null,
        phase,
        "frames kept moving between switches after every guest stopped ("
            + MAX_ROUNDS
            + " flush rounds)",
        "a switch may be forwarding traffic from outside the cluster; nothing was left paused",
        null);
  }

  /**
   * @param phase for errors: {@code prepare} or {@code restore}
   * @return the links' received plus sent frame counters after the round
   */
  static long round(
      VirtualSwitch sw, Set<String> guestPorts, ProtocolSettings settings, String phase)
      throws CheckpointException {
    long moved = 0;
    for (Port p : sw.ports()) {
      if (guestPorts.contains(p.name())) {
        continue;
      }
      long deadline = System.nanoTime() + settings.drain().toNanos();
      long unsent;
      while ((unsent = p.unsentBytes()) > 0) {
        if (System.nanoTime() > deadline) {
          throw new CheckpointException(
              null,
              phase,
              "link port "
                  + p.name()
                  + " did not send "
                  + unsent
                  + " bytes within "
                  + settings.drain().toMillis()
                  + " ms",
              "check the switch it leads to; nothing was left paused or held",
              null);
        }
        try {
          Thread.sleep(1);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new CheckpointException(null, phase, "interrupted", null, e);
        }
      }
      try {
        p.syncIngress().get(settings.qmp().toMillis(), TimeUnit.MILLISECONDS);
      } catch (Exception ex) {
        throw new CheckpointException(
            null, phase, "link port " + p.name() + " did not settle", null, ex);
      }
      moved += p.counters().get(PortCounter.RX_FRAMES) + p.counters().get(PortCounter.TX_FRAMES);
    }
    return moved;
  }
}
