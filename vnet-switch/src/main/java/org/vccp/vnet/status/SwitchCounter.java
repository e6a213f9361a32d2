package org.vccp.vnet.status;

/**
 * Switch-wide counters with fixed ids, all written by whoever runs the forwarder (its thread, or an
 * ingress thread forwarding its own frames: one at a time).
 */
public enum SwitchCounter {
  MAC_TABLE_SIZE(0, "mac_table_size", "Entries in the MAC table now (gauge)"),
  MAC_LEARNED(1, "mac_learned", "MAC addresses learned"),
  MAC_MOVED(2, "mac_moved", "Learned MAC addresses that moved to another port"),
  MAC_AGED(3, "mac_aged", "MAC entries removed by aging"),
  MAC_TABLE_FULL(4, "mac_table_full", "Addresses not learned because the table was full"),
  FRAMES_FORWARDED(5, "frames_forwarded", "Frames forwarded to a single learned port"),
  FRAMES_FLOODED(6, "frames_flooded", "Frames flooded (broadcast, multicast, unknown unicast)"),
  FRAMES_FILTERED(7, "frames_filtered", "Frames whose destination is on their ingress port"),
  FORWARDED_ON_INGRESS(
      8,
      "forwarded_on_ingress",
      "Ring slots forwarded by the ingress thread that read them, not the forwarder thread");

  private final int id;
  private final String metricName;
  private final String description;

  SwitchCounter(int id, String metricName, String description) {
    this.id = id;
    this.metricName = metricName;
    this.description = description;
  }

  public int id() {
    return id;
  }

  public String metricName() {
    return metricName;
  }

  public String description() {
    return description;
  }
}
