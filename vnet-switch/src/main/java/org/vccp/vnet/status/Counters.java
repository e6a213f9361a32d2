package org.vccp.vnet.status;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A fixed array of counters read off the hot path. Writers use {@link #increment} and {@link #add},
 * which assume a single writer per counter (plain read, ordered write); readers on other threads
 * see a recent value.
 */
public final class Counters {
  private final AtomicLongArray values;

  public Counters(int size) {
    this.values = new AtomicLongArray(size);
  }

  public static Counters forPort() {
    return new Counters(PortCounter.values().length);
  }

  public static Counters forSwitch() {
    return new Counters(SwitchCounter.values().length);
  }

  public void increment(PortCounter c) {
    add(c.id(), 1);
  }

  public void add(PortCounter c, long delta) {
    add(c.id(), delta);
  }

  public void increment(SwitchCounter c) {
    add(c.id(), 1);
  }

  public void add(SwitchCounter c, long delta) {
    add(c.id(), delta);
  }

  public void set(SwitchCounter c, long value) {
    values.setRelease(c.id(), value);
  }

  public long get(PortCounter c) {
    return values.getAcquire(c.id());
  }

  public long get(SwitchCounter c) {
    return values.getAcquire(c.id());
  }

  /** For counters that more than one thread may write: an atomic add, dearer than {@link #add}. */
  public void incrementShared(PortCounter c) {
    values.getAndIncrement(c.id());
  }

  /**
   * Adds from a thread that may not be the counter's only writer: an atomic add, so once per batch,
   * not per frame.
   */
  public void addShared(PortCounter c, long delta) {
    values.getAndAdd(c.id(), delta);
  }

  private void add(int id, long delta) {
    values.setRelease(id, values.getPlain(id) + delta);
  }
}
