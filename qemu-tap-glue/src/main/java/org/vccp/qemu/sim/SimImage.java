package org.vccp.qemu.sim;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a simulated guest's migration image holds, read back for tests and tools: the settings it
 * was saved with, its run state and guest clock, and its workload's counters (for udp-seq-send
 * {@code next_seq}, {@code sent}; for udp-seq-recv {@code received}, {@code gaps}, {@code last})
 * and its NIC's ({@code tx_ring_frames} queued but not yet on the wire, {@code rx_frames}, {@code
 * tx_frames}).
 *
 * @param identity the saving guest's settings: name, workload, mac, ip, peer, port, flow, ...
 * @param runState {@code running} or {@code paused} at the save
 * @param clockNs the guest clock at the save
 * @param counters the workload's counters
 */
public record SimImage(
    Map<String, String> identity, String runState, long clockNs, Map<String, Long> counters) {

  public static SimImage read(byte[] stream) throws SimImageException {
    GuestMemory memory = GuestMemory.decode(stream);
    Map<String, Long> counters = new TreeMap<>(memory.workload.counters());
    counters.put("tx_ring_frames", (long) memory.net.txQueued());
    counters.put("rx_frames", memory.net.rxFrames());
    counters.put("tx_frames", memory.net.txFrames());
    return new SimImage(
        Map.copyOf(memory.identity),
        memory.savedState.qmpName(),
        memory.clockNs,
        Collections.unmodifiableMap(counters));
  }

  public static SimImage read(Path file) throws IOException {
    try {
      return read(Files.readAllBytes(file));
    } catch (SimImageException e) {
      throw new SimImageException(file + ": " + e.getMessage());
    }
  }

  public long counter(String name) {
    Long value = counters.get(name);
    if (value == null) {
      throw new IllegalArgumentException(
          "the image's workload has no counter " + name + ": " + counters);
    }
    return value;
  }
}
