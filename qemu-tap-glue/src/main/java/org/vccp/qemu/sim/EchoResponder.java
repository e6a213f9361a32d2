package org.vccp.qemu.sim;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.Map;

/** echo: every datagram to its port goes back to its sender, unchanged. */
final class EchoResponder implements SimWorkload {
  private final int port;
  private long answered;
  private long bytes;

  EchoResponder(int port) {
    this.port = port;
  }

  @Override
  public void boot(long nowNs, SerialReport serial) {}

  @Override
  public long tick(long nowNs, GuestNet net, SerialReport serial) {
    return Long.MAX_VALUE;
  }

  @Override
  public void onUdp(Frames.Udp datagram, long nowNs, GuestNet net, SerialReport serial) {
    if (datagram.dstPort() == port
        && net.sendUdp(datagram.srcIp(), port, datagram.srcPort(), datagram.data(), nowNs)) {
      answered++;
      bytes += datagram.data().length;
    }
  }

  @Override
  public void report(SerialReport serial) {
    serial.report("ECHO", "port", port, "answered", answered, "bytes", bytes);
  }

  @Override
  public Map<String, Long> counters() {
    return Map.of("answered", answered, "bytes", bytes);
  }

  @Override
  public void save(DataOutput out) throws IOException {
    out.writeLong(answered);
    out.writeLong(bytes);
  }

  @Override
  public void load(DataInput in) throws IOException {
    answered = in.readLong();
    bytes = in.readLong();
  }
}
