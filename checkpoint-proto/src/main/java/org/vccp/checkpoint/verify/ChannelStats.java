package org.vccp.checkpoint.verify;

/** Per-channel (or per-flow) counts for the summary table. */
public final class ChannelStats {
  final String name;
  long sent;
  long delivered;
  long dropped;
  long lost;
  long duplicates;
  long reordered;
  long inFlight;

  ChannelStats(String name) {
    this.name = name;
  }

  public String name() {
    return name;
  }

  public long sent() {
    return sent;
  }

  public long delivered() {
    return delivered;
  }

  public long dropped() {
    return dropped;
  }

  public long lost() {
    return lost;
  }

  public long duplicates() {
    return duplicates;
  }

  public long reordered() {
    return reordered;
  }

  public long inFlight() {
    return inFlight;
  }
}
