package org.vccp.perf.loadgen;

import java.util.ArrayList;
import java.util.List;
import org.HdrHistogram.Histogram;

/** Folds the counters of finished port agents into one {@link LoadResult}. */
final class ResultCollector {
  private ResultCollector() {}

  /** Call only after every agent thread has ended. */
  static LoadResult collect(
      LoadSpec spec, List<SenderAgent> senders, List<ReceiverAgent> receivers) {
    double windowSeconds = spec.durationMs() / 1000.0;
    Histogram latency = new Histogram(ReceiverAgent.HIGHEST_LATENCY_NS, 3);
    long receivedInWindow = 0;
    long discarded = 0;
    long corrupt = 0;
    for (ReceiverAgent r : receivers) {
      latency.add(r.latency());
      receivedInWindow += r.receivedInWindow();
      discarded += r.discarded();
      corrupt += r.corrupt();
    }

    Histogram lateness = new Histogram(ReceiverAgent.HIGHEST_LATENCY_NS, 3);
    List<LoadResult.SenderStats> perSender = new ArrayList<>();
    long sent = 0;
    long sentInWindow = 0;
    long received = 0;
    long lost = 0;
    long duplicated = 0;
    long reordered = 0;
    for (SenderAgent s : senders) {
      lateness.add(s.lateness());
      long[] sentTo = s.sentPerReceiver();
      long sSent = 0;
      long sReceived = 0;
      long sLost = 0;
      long sDup = 0;
      long sReordered = 0;
      for (ReceiverAgent r : receivers) {
        SequenceTracker t = r.tracker(s.index());
        long n = sentTo[r.receiver()];
        sSent += n;
        sReceived += t.unique();
        sLost += t.lost(n);
        sDup += t.duplicated();
        sReordered += t.reordered();
      }
      perSender.add(
          new LoadResult.SenderStats(
              s.index(), sSent, s.sentInWindow(), sReceived, sLost, sDup, sReordered));
      sent += sSent;
      sentInWindow += s.sentInWindow();
      received += sReceived;
      lost += sLost;
      duplicated += sDup;
      reordered += sReordered;
      discarded += s.discarded();
    }

    double rxFps = receivedInWindow / windowSeconds;
    return new LoadResult(
        spec,
        windowSeconds,
        sent,
        sentInWindow,
        sentInWindow / windowSeconds,
        receivedInWindow,
        rxFps,
        rxFps * spec.frameBytes() * 8 / 1e9,
        received,
        lost,
        duplicated,
        reordered,
        corrupt,
        discarded,
        latencyOf(latency),
        List.copyOf(perSender),
        latencyOf(lateness));
  }

  private static LoadResult.Latency latencyOf(Histogram h) {
    if (h.getTotalCount() == 0) {
      return new LoadResult.Latency(0, 0, 0, 0, 0, 0);
    }
    return new LoadResult.Latency(
        h.getTotalCount(),
        h.getValueAtPercentile(50),
        h.getValueAtPercentile(99),
        h.getValueAtPercentile(99.9),
        h.getMaxValue(),
        h.getMean());
  }
}
