package org.vccp.checkpoint.verify;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Port names to small indexes, and the per-channel state and counts indexed by (ingress port,
 * egress port). Shared by all runs so a channel keeps one row in the summary.
 */
final class Channels {
  /** The pseudo egress port of frames whose destination is not one port (floods). */
  static final String ANY = "*";

  private final Map<String, Integer> index = new HashMap<>();
  private final List<String> names = new ArrayList<>();
  private Channel[][] channels = new Channel[8][8];
  private final List<Channel> inOrder = new ArrayList<>();

  int port(String name) {
    Integer i = index.get(name);
    if (i != null) {
      return i;
    }
    int n = names.size();
    names.add(name);
    index.put(name, n);
    return n;
  }

  /** The index of a port already known, or -1. */
  int find(String name) {
    Integer i = index.get(name);
    return i == null ? -1 : i;
  }

  private String[] points = new String[0];

  /** The flow observation point name of a port: {@code g1:ingress} or {@code g1:egress}. */
  String point(int port, boolean egress) {
    int i = port * 2 + (egress ? 1 : 0);
    if (i >= points.length) {
      points = java.util.Arrays.copyOf(points, i * 2 + 2);
    }
    if (points[i] == null) {
      points[i] = names.get(port) + (egress ? ":egress" : ":ingress");
    }
    return points[i];
  }

  String name(int port) {
    return names.get(port);
  }

  int ports() {
    return names.size();
  }

  Channel get(int from, int to) {
    if (from >= channels.length || to >= channels.length) {
      int n = Math.max(from, to) * 2 + 1;
      Channel[][] bigger = new Channel[n][n];
      for (int i = 0; i < channels.length; i++) {
        System.arraycopy(channels[i], 0, bigger[i], 0, channels[i].length);
      }
      channels = bigger;
    }
    Channel c = channels[from][to];
    if (c == null) {
      c = new Channel(names.get(from) + "->" + names.get(to));
      channels[from][to] = c;
      inOrder.add(c);
    }
    return c;
  }

  /** Starts a new run: packet ids restart, so every channel's FIFO position does. */
  void newRun() {
    for (Channel c : inOrder) {
      c.lastId = -1;
    }
  }

  List<Channel> all() {
    return inOrder;
  }

  /** One channel's FIFO position and counts. */
  static final class Channel {
    final ChannelStats stats;

    /** Highest packet id delivered so far in the current run, and where. */
    long lastId = -1;

    int lastFile;
    long lastFrame;

    Channel(String name) {
      this.stats = new ChannelStats(name);
    }

    String name() {
      return stats.name;
    }
  }
}
