package org.vccp.qemu.sim;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.Map;

/**
 * What the simulated guest runs: a deterministic state machine driven by the guest clock and by
 * received datagrams. All of its state is written by {@link #save} into the migration image, so a
 * restored guest continues exactly where the image was taken. Called only under the machine lock.
 */
interface SimWorkload {

  /** Runs once when a freshly booted guest is ready (not after a restore): initial reports. */
  void boot(long nowNs, SerialReport serial);

  /** Does what is due at guest time {@code nowNs}; returns the guest time it next wants to run. */
  long tick(long nowNs, GuestNet net, SerialReport serial);

  /** A datagram for this guest's address arrived. */
  void onUdp(Frames.Udp datagram, long nowNs, GuestNet net, SerialReport serial);

  /** The periodic report line(s). */
  void report(SerialReport serial);

  /** The workload's counters by name, as its report lines show them. */
  Map<String, Long> counters();

  void save(DataOutput out) throws IOException;

  void load(DataInput in) throws IOException;

  /** Nothing to do: the guest only answers ARP. */
  final class Idle implements SimWorkload {
    @Override
    public void boot(long nowNs, SerialReport serial) {}

    @Override
    public long tick(long nowNs, GuestNet net, SerialReport serial) {
      return Long.MAX_VALUE;
    }

    @Override
    public void onUdp(Frames.Udp datagram, long nowNs, GuestNet net, SerialReport serial) {}

    @Override
    public void report(SerialReport serial) {}

    @Override
    public Map<String, Long> counters() {
      return Map.of();
    }

    @Override
    public void save(DataOutput out) {}

    @Override
    public void load(DataInput in) {}
  }
}
