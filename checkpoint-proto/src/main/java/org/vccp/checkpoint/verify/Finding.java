package org.vccp.checkpoint.verify;

import java.util.List;

/**
 * One result of a check.
 *
 * @param check the check that made it: {@code channel}, {@code checkpoint}, {@code restore}, {@code
 *     tcp}, {@code udp}
 * @param kind what was found, e.g. {@code lost}, {@code duplicate}, {@code orphan}
 * @param channel {@code ingress->egress} port names, or null
 * @param flow the 5-tuple and observation point of a TCP/UDP flow, or null
 * @param epoch the checkpoint epoch, or -1
 * @param frames the frames concerned, the one the finding is about first
 */
public record Finding(
    String check,
    String kind,
    Severity severity,
    String channel,
    String flow,
    long epoch,
    List<FrameRef> frames,
    String message) {

  public Finding {
    frames = List.copyOf(frames);
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder();
    sb.append(severity.name().toLowerCase()).append(' ').append(check).append('/').append(kind);
    if (channel != null) {
      sb.append(" channel ").append(channel);
    }
    if (flow != null) {
      sb.append(" flow ").append(flow);
    }
    if (epoch >= 0) {
      sb.append(" epoch ").append(epoch);
    }
    sb.append(": ").append(message);
    if (!frames.isEmpty()) {
      sb.append(" [");
      for (int i = 0; i < frames.size(); i++) {
        sb.append(i == 0 ? "" : ", ").append(frames.get(i));
      }
      sb.append(']');
    }
    return sb.toString();
  }
}
