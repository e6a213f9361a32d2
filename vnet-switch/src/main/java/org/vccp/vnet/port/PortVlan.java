package org.vccp.vnet.port;

import java.util.BitSet;
import java.util.stream.Collectors;

/**
 * A port's 802.1Q membership. An access port belongs to one VLAN and carries it untagged; a trunk
 * port carries a set of VLANs tagged, and optionally one native VLAN untagged.
 */
public final class PortVlan {
  /** The VLAN every access port is in unless told otherwise. */
  public static final int DEFAULT_VLAN = 1;

  private final boolean trunk;
  private final int accessVlan;
  private final int nativeVlan;
  private final BitSet allowed;

  private PortVlan(boolean trunk, int accessVlan, int nativeVlan, BitSet allowed) {
    this.trunk = trunk;
    this.accessVlan = accessVlan;
    this.nativeVlan = nativeVlan;
    this.allowed = allowed;
  }

  public static PortVlan access(int vlan) {
    checkVlan(vlan);
    return new PortVlan(false, vlan, 0, null);
  }

  /**
   * @param vlans VLANs carried tagged
   * @param nativeVlan VLAN carried untagged, or 0 for none (untagged frames are then dropped)
   */
  public static PortVlan trunk(BitSet vlans, int nativeVlan) {
    if (nativeVlan != 0) {
      checkVlan(nativeVlan);
    }
    vlans.stream().forEach(PortVlan::checkVlan);
    return new PortVlan(true, 0, nativeVlan, (BitSet) vlans.clone());
  }

  /** Parses {@code 10:20:30-40} (the flag form) or {@code 10,20,30-40}. */
  public static BitSet parseVlanSet(String text) {
    BitSet set = new BitSet(4096);
    for (String part : text.split("[:,; ]+")) {
      if (part.isEmpty()) {
        continue;
      }
      try {
        int dash = part.indexOf('-');
        if (dash > 0) {
          int from = Integer.parseInt(part.substring(0, dash));
          int to = Integer.parseInt(part.substring(dash + 1));
          checkVlan(from);
          checkVlan(to);
          set.set(from, to + 1);
        } else {
          int v = Integer.parseInt(part);
          checkVlan(v);
          set.set(v);
        }
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("'" + text + "' is not a VLAN list like 10:20:30-40");
      }
    }
    if (set.isEmpty()) {
      throw new IllegalArgumentException("trunk VLAN list '" + text + "' is empty");
    }
    return set;
  }

  private static void checkVlan(int vlan) {
    if (vlan < 1 || vlan > 4094) {
      throw new IllegalArgumentException("VLAN " + vlan + " is out of range 1..4094");
    }
  }

  public boolean isTrunk() {
    return trunk;
  }

  public int accessVlan() {
    return accessVlan;
  }

  public int nativeVlan() {
    return nativeVlan;
  }

  /** True when frames of {@code vlan} may leave or enter through this port. */
  public boolean carries(int vlan) {
    return trunk ? vlan == nativeVlan || allowed.get(vlan) : vlan == accessVlan;
  }

  /** True when frames of {@code vlan} leave this port without a tag. */
  public boolean untagged(int vlan) {
    return trunk ? vlan == nativeVlan : true;
  }

  /**
   * Classifies an ingress frame: returns its VLAN, or -1 when this port must drop it.
   *
   * @param tagVlan the frame's VLAN id, 0 for a priority tag, or -1 when untagged
   */
  public int classify(int tagVlan) {
    if (!trunk) {
      return tagVlan <= 0 || tagVlan == accessVlan ? accessVlan : -1;
    }
    if (tagVlan <= 0) {
      return nativeVlan != 0 ? nativeVlan : -1;
    }
    return allowed.get(tagVlan) || tagVlan == nativeVlan ? tagVlan : -1;
  }

  @Override
  public String toString() {
    if (!trunk) {
      return "access:" + accessVlan;
    }
    String list = allowed.stream().mapToObj(Integer::toString).collect(Collectors.joining(","));
    return "trunk:" + list + (nativeVlan != 0 ? " native:" + nativeVlan : "");
  }
}
