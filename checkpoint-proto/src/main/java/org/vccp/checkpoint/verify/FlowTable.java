package org.vccp.checkpoint.verify;

import java.util.function.Consumer;

/**
 * Open-addressing map from a three-long key (addresses, ports and protocol, observation point) to a
 * flow's state, so looking a flow up makes no key object. Holds at most {@code maxFlows}; when
 * full, the caller evicts (see {@link #removeIf}).
 */
final class FlowTable<V> {
  private long[] k1;
  private long[] k2;
  private long[] k3;
  private Object[] values;
  private int size;
  private int mask;

  FlowTable(int initialCapacity) {
    int cap = Integer.highestOneBit(Math.max(16, initialCapacity) * 2 - 1);
    allocate(cap);
  }

  private void allocate(int cap) {
    k1 = new long[cap];
    k2 = new long[cap];
    k3 = new long[cap];
    values = new Object[cap];
    mask = cap - 1;
    size = 0;
  }

  private int slot(long a, long b, long c) {
    long h = a * 0x9E3779B97F4A7C15L ^ Long.rotateLeft(b * 0xC2B2AE3D27D4EB4FL, 21) ^ c;
    h ^= h >>> 32;
    return (int) h & mask;
  }

  @SuppressWarnings("unchecked")
  V get(long a, long b, long c) {
    int i = slot(a, b, c);
    while (values[i] != null) {
      if (k1[i] == a && k2[i] == b && k3[i] == c) {
        return (V) values[i];
      }
      i = (i + 1) & mask;
    }
    return null;
  }

  void put(long a, long b, long c, V v) {
    if ((size + 1) * 2 > values.length) {
      rehash(values.length * 2);
    }
    int i = slot(a, b, c);
    while (values[i] != null) {
      if (k1[i] == a && k2[i] == b && k3[i] == c) {
        values[i] = v;
        return;
      }
      i = (i + 1) & mask;
    }
    k1[i] = a;
    k2[i] = b;
    k3[i] = c;
    values[i] = v;
    size++;
  }

  int size() {
    return size;
  }

  @SuppressWarnings("unchecked")
  private void rehash(int cap) {
    long[] o1 = k1;
    long[] o2 = k2;
    long[] o3 = k3;
    Object[] ov = values;
    allocate(cap);
    for (int i = 0; i < ov.length; i++) {
      if (ov[i] != null) {
        put(o1[i], o2[i], o3[i], (V) ov[i]);
      }
    }
  }

  /** Removes the entries the predicate selects, after handing each to {@code onRemove}. */
  @SuppressWarnings("unchecked")
  void removeIf(java.util.function.Predicate<V> remove, Consumer<V> onRemove) {
    long[] o1 = k1;
    long[] o2 = k2;
    long[] o3 = k3;
    Object[] ov = values;
    allocate(ov.length);
    for (int i = 0; i < ov.length; i++) {
      if (ov[i] != null) {
        V v = (V) ov[i];
        if (remove.test(v)) {
          onRemove.accept(v);
        } else {
          put(o1[i], o2[i], o3[i], v);
        }
      }
    }
  }

  /** Visits every value. */
  @SuppressWarnings("unchecked")
  void forEach(Consumer<V> action) {
    for (Object v : values) {
      if (v != null) {
        action.accept((V) v);
      }
    }
  }
}
