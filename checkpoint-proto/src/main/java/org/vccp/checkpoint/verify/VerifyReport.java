package org.vccp.checkpoint.verify;

import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** What {@code vccp verify} counted and found; prints the summary table and the JSON tail. */
public final class VerifyReport {
  final Findings findings;
  long files;
  long runs;
  long frames;
  long ingress;
  long egress;
  long dropped;
  long held;
  long heldAtEnd;
  long marks;
  long replays;
  long orphans;
  long channelStateProblems;
  long replayProblems;
  long checkpointsChecked;
  long restoresChecked;
  long beforeRecording;
  long captureInterfaces;
  long tcpFlows;
  long udpFlows;
  long tcpSegments;
  long udpDatagrams;
  long elapsedNs;
  final List<ChannelStats> channels = new ArrayList<>();

  VerifyReport(Findings findings) {
    this.findings = findings;
  }

  public Findings findings() {
    return findings;
  }

  public List<ChannelStats> channels() {
    return channels;
  }

  public long frames() {
    return frames;
  }

  public long runs() {
    return runs;
  }

  /** Checkpoints whose channel files were compared with the recording. */
  public long checkpointsChecked() {
    return checkpointsChecked;
  }

  /** Restored runs whose replays were checked. */
  public long restoresChecked() {
    return restoresChecked;
  }

  public long replays() {
    return replays;
  }

  public long elapsedNs() {
    return elapsedNs;
  }

  /** 0 clean, 1 when any finding is an error. */
  public int exitStatus() {
    return findings.errors() > 0 ? 1 : 0;
  }

  private long sum(java.util.function.ToLongFunction<ChannelStats> f) {
    long s = 0;
    for (ChannelStats c : channels) {
      s += f.applyAsLong(c);
    }
    return s;
  }

  /** The human summary: totals, the channel table, finding counts, the first findings. */
  public void print(PrintStream out, int maxFindings) {
    out.printf(
        "vccp verify: %,d files, %,d runs, %,d frames in %.2f s (%,.0f frames/s)%n",
        files, runs, frames, elapsedNs / 1e9, elapsedNs > 0 ? frames / (elapsedNs / 1e9) : 0.0);
    out.printf(
        "%-28s %10s %10s %8s %8s %8s %9s %9s%n",
        "CHANNEL", "SENT", "DELIVERED", "DROPPED", "LOST", "DUPS", "REORDERED", "IN-FLIGHT");
    int shown = 0;
    for (ChannelStats c : channels) {
      if (shown++ == 40) {
        out.printf("... %d more channels (see --json)%n", channels.size() - 40);
        break;
      }
      out.printf(
          "%-28s %10d %10d %8d %8d %8d %9d %9d%n",
          c.name, c.sent, c.delivered, c.dropped, c.lost, c.duplicates, c.reordered, c.inFlight);
    }
    out.printf(
        "%-28s %10d %10d %8d %8d %8d %9d %9d%n",
        "total (" + channels.size() + " channels)",
        sum(c -> c.sent),
        sum(c -> c.delivered),
        sum(c -> c.dropped),
        sum(c -> c.lost),
        sum(c -> c.duplicates),
        sum(c -> c.reordered),
        sum(c -> c.inFlight));
    out.printf(
        "checkpoints: %d checked, %d orphans, %d channel-state problems; restores: %d checked,"
            + " %d replays, %d replay problems%n",
        checkpointsChecked,
        orphans,
        channelStateProblems,
        restoresChecked,
        replays,
        replayProblems);
    out.printf(
        "tcp: %d flows, %d segments, %d findings; udp-seq: %d flows, %d datagrams, %d findings%n",
        tcpFlows, tcpSegments, count("tcp/"), udpFlows, udpDatagrams, count("udp/"));
    for (Map.Entry<String, Long> e : findings.counts().entrySet()) {
      out.printf("  %-36s %,d%n", e.getKey(), e.getValue());
    }
    int n = 0;
    for (Finding f : findings.list()) {
      if (n++ == maxFindings) {
        out.printf("... %d more findings (see --json)%n", findings.total() - maxFindings);
        break;
      }
      out.println("  " + f);
    }
    out.println(
        findings.errors() == 0
            ? "verdict: CLEAN (" + findings.warnings() + " warnings)"
            : "verdict: VIOLATIONS ("
                + findings.errors()
                + " errors, "
                + findings.warnings()
                + " warnings)");
  }

  private long count(String prefix) {
    long s = 0;
    for (Map.Entry<String, Long> e : findings.counts().entrySet()) {
      if (e.getKey().startsWith(prefix)) {
        s += e.getValue();
      }
    }
    return s;
  }

  void writeJson(JsonGenerator j) throws IOException {
    j.writeObjectFieldStart("summary");
    j.writeStringField("verdict", exitStatus() == 0 ? "clean" : "violations");
    j.writeNumberField("errors", findings.errors());
    j.writeNumberField("warnings", findings.warnings());
    j.writeNumberField("files", files);
    j.writeNumberField("runs", runs);
    j.writeNumberField("frames", frames);
    j.writeNumberField("ingressEvents", ingress);
    j.writeNumberField("egressEvents", egress);
    j.writeNumberField("dropEvents", dropped);
    j.writeNumberField("heldEvents", held);
    j.writeNumberField("heldAtEnd", heldAtEnd);
    j.writeNumberField("marks", marks);
    j.writeNumberField("replays", replays);
    j.writeNumberField("checkpointsChecked", checkpointsChecked);
    j.writeNumberField("restoresChecked", restoresChecked);
    j.writeNumberField("orphans", orphans);
    j.writeNumberField("channelStateProblems", channelStateProblems);
    j.writeNumberField("replayProblems", replayProblems);
    j.writeNumberField("tcpFlows", tcpFlows);
    j.writeNumberField("udpSeqFlows", udpFlows);
    j.writeNumberField("elapsedNs", elapsedNs);
    j.writeObjectFieldStart("findingCounts");
    for (Map.Entry<String, Long> e : findings.counts().entrySet()) {
      j.writeNumberField(e.getKey(), e.getValue());
    }
    j.writeEndObject();
    j.writeEndObject();
    j.writeArrayFieldStart("channels");
    for (ChannelStats c : channels) {
      j.writeStartObject();
      j.writeStringField("channel", c.name);
      j.writeNumberField("sent", c.sent);
      j.writeNumberField("delivered", c.delivered);
      j.writeNumberField("dropped", c.dropped);
      j.writeNumberField("lost", c.lost);
      j.writeNumberField("duplicates", c.duplicates);
      j.writeNumberField("reordered", c.reordered);
      j.writeNumberField("inFlight", c.inFlight);
      j.writeEndObject();
    }
    j.writeEndArray();
  }
}
