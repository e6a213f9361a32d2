package org.vccp.vnet.forwarding;

import java.util.ArrayList;
import java.util.List;
import org.agrona.collections.Long2LongHashMap;
import org.vccp.vnet.status.Counters;
import org.vccp.vnet.status.SwitchCounter;

/**
 * The learning table: (VLAN, MAC) → port, with the time each dynamic entry was last seen. Owned by
 * the forwarder thread; nothing else touches it.
 *
 * <p>Key: {@code vlan << 48 | mac}. Value, packed so a lookup is one primitive map probe:
 *
 * <pre>
 *  63        17   16      15           0
 *  +-----------+--------+--------------+
 *  | seen (ms) | static |   port id    |
 *  +-----------+--------+--------------+
 * </pre>
 *
 * A dynamic entry's "seen" time is refreshed at most once a second per address, so steady traffic
 * costs one probe per frame and rarely a write.
 */
public final class MacTable {
  private static final long MISSING = -1L;
  private static final long STATIC_BIT = 1L << 16;
  private static final int SEEN_SHIFT = 17;
  private static final long REFRESH_MS = 1000;

  private final Long2LongHashMap map;
  private final int capacity;
  private final long agingMs;
  private final long originNs;
  private final Counters counters;

  public MacTable(int capacity, long agingNs, long originNs, Counters counters) {
    this.map = new Long2LongHashMap(Math.min(capacity, 1 << 16) * 2, 0.65f, MISSING);
    this.capacity = capacity;
    this.agingMs = agingNs / 1_000_000;
    this.originNs = originNs;
    this.counters = counters;
  }

  /** One entry, for listings. */
  public record Entry(int vlan, long mac, int portId, boolean isStatic, long ageMs) {}

  static long key(int vlan, long mac) {
    return ((long) vlan << 48) | mac;
  }

  private long nowMs(long nowNs) {
    return (nowNs - originNs) / 1_000_000;
  }

  /** The port that (vlan, mac) was learned on, or -1. */
  public int lookup(int vlan, long mac) {
    long v = map.get(key(vlan, mac));
    return v == MISSING ? -1 : (int) (v & 0xFFFF);
  }

  /** Records that {@code mac} was seen as a source on {@code portId}. */
  public void learn(int vlan, long mac, int portId, long nowNs) {
    long k = key(vlan, mac);
    long v = map.get(k);
    long now = nowMs(nowNs);
    if (v == MISSING) {
      if (map.size() >= capacity) {
        counters.increment(SwitchCounter.MAC_TABLE_FULL);
        return;
      }
      map.put(k, pack(portId, false, now));
      counters.increment(SwitchCounter.MAC_LEARNED);
      counters.set(SwitchCounter.MAC_TABLE_SIZE, map.size());
      return;
    }
    if ((v & STATIC_BIT) != 0) {
      return;
    }
    if ((int) (v & 0xFFFF) != portId) {
      map.put(k, pack(portId, false, now));
      counters.increment(SwitchCounter.MAC_MOVED);
    } else if (now - (v >>> SEEN_SHIFT) >= REFRESH_MS) {
      map.put(k, pack(portId, false, now));
    }
  }

  /** Adds or replaces a static entry, which never ages and never moves. */
  public void putStatic(int vlan, long mac, int portId) {
    map.put(key(vlan, mac), pack(portId, true, 0));
    counters.set(SwitchCounter.MAC_TABLE_SIZE, map.size());
  }

  public boolean remove(int vlan, long mac) {
    boolean removed = map.remove(key(vlan, mac)) != MISSING;
    counters.set(SwitchCounter.MAC_TABLE_SIZE, map.size());
    return removed;
  }

  /** Removes dynamic entries not seen for longer than the aging time; returns how many. */
  public int age(long nowNs) {
    long now = nowMs(nowNs);
    int aged = 0;
    var it = map.entrySet().iterator();
    while (it.hasNext()) {
      it.next();
      long v = ((Long2LongHashMap.EntryIterator) it).getLongValue();
      if ((v & STATIC_BIT) == 0 && now - (v >>> SEEN_SHIFT) > agingMs) {
        it.remove();
        aged++;
      }
    }
    if (aged > 0) {
      counters.add(SwitchCounter.MAC_AGED, aged);
      counters.set(SwitchCounter.MAC_TABLE_SIZE, map.size());
    }
    return aged;
  }

  /** Forgets every entry (static ones too) that points at {@code portId}. */
  public void removePort(int portId) {
    var it = map.entrySet().iterator();
    while (it.hasNext()) {
      it.next();
      long v = ((Long2LongHashMap.EntryIterator) it).getLongValue();
      if ((int) (v & 0xFFFF) == portId) {
        it.remove();
      }
    }
    counters.set(SwitchCounter.MAC_TABLE_SIZE, map.size());
  }

  public int size() {
    return map.size();
  }

  public List<Entry> entries(long nowNs) {
    long now = nowMs(nowNs);
    List<Entry> out = new ArrayList<>(map.size());
    map.forEachLong(
        (k, v) -> {
          boolean st = (v & STATIC_BIT) != 0;
          out.add(
              new Entry(
                  (int) (k >>> 48),
                  k & 0xFFFF_FFFF_FFFFL,
                  (int) (v & 0xFFFF),
                  st,
                  st ? 0 : now - (v >>> SEEN_SHIFT)));
        });
    return out;
  }

  private static long pack(int portId, boolean isStatic, long seenMs) {
    return (seenMs << SEEN_SHIFT) | (isStatic ? STATIC_BIT : 0) | (portId & 0xFFFF);
  }
}
