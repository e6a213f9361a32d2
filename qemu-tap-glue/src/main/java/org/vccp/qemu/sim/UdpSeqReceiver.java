package org.vccp.qemu.sim;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.BitSet;
import java.util.Map;

/**
 * udp-seq-recv, counting like the real guests' {@code vccp-udp seq-recv}: every datagram of its
 * flow to its port is received; one seen before is a duplicate; one below the highest so far is a
 * reorder; gaps are the numbers up to the highest never seen. Hellos (sequence 0) are echoed so the
 * sender knows it listens. With a {@code count}, DONE is reported one second of guest time after
 * datagram {@code count} arrives, and counting stops there, as in the real guest.
 */
final class UdpSeqReceiver implements SimWorkload {
  static final long LINGER_NS = 1_000_000_000L;

  private final int port;
  private final int flow;
  private final long count;
  private final BitSet seen = new BitSet();
  private long received;
  private long unique;
  private long dups;
  private long reorders;
  private long last;
  private long doneAtNs = Long.MAX_VALUE;
  private boolean done;

  UdpSeqReceiver(int port, int flow, long count) {
    this.port = port;
    this.flow = flow;
    this.count = count;
  }

  @Override
  public void boot(long nowNs, SerialReport serial) {
    serial.report(
        "UDPSEQ",
        "role",
        "recv",
        "port",
        port,
        "flow",
        flow,
        "received",
        0,
        "gaps",
        0,
        "dups",
        0,
        "reorders",
        0,
        "last",
        0);
  }

  @Override
  public long tick(long nowNs, GuestNet net, SerialReport serial) {
    if (!done && nowNs >= doneAtNs) {
      done = true;
      serial.report(
          "DONE",
          "workload",
          "udp-seq-recv",
          "ok",
          unique,
          "fail",
          count - unique,
          "expected",
          count,
          "flow",
          flow,
          "received",
          received,
          "gaps",
          last - unique,
          "dups",
          dups,
          "reorders",
          reorders,
          "last",
          last);
    }
    return done ? Long.MAX_VALUE : doneAtNs;
  }

  @Override
  public void onUdp(Frames.Udp datagram, long nowNs, GuestNet net, SerialReport serial) {
    byte[] data = datagram.data();
    if (done
        || datagram.dstPort() != port
        || !UdpSeqPayload.matches(data)
        || UdpSeqPayload.flow(data) != flow) {
      return;
    }
    long seq = UdpSeqPayload.seq(data);
    if (seq == 0) {
      net.sendUdp(datagram.srcIp(), port, datagram.srcPort(), data, nowNs);
      return;
    }
    if (seq < 0 || seq > Integer.MAX_VALUE || (count > 0 && seq > count)) {
      return;
    }
    received++;
    if (seen.get((int) seq)) {
      dups++;
      return;
    }
    seen.set((int) seq);
    unique++;
    if (seq < last) {
      reorders++;
    } else {
      last = seq;
    }
    if (seq == count) {
      doneAtNs = nowNs + LINGER_NS;
    }
  }

  @Override
  public void report(SerialReport serial) {
    if (!done) {
      serial.report(
          "UDPSEQ",
          "role",
          "recv",
          "flow",
          flow,
          "received",
          received,
          "gaps",
          last - unique,
          "dups",
          dups,
          "reorders",
          reorders,
          "last",
          last);
    }
  }

  @Override
  public Map<String, Long> counters() {
    return Map.of(
        "received",
        received,
        "gaps",
        last - unique,
        "dups",
        dups,
        "reorders",
        reorders,
        "last",
        last);
  }

  @Override
  public void save(DataOutput out) throws IOException {
    out.writeLong(received);
    out.writeLong(unique);
    out.writeLong(dups);
    out.writeLong(reorders);
    out.writeLong(last);
    out.writeLong(doneAtNs);
    out.writeBoolean(done);
    byte[] bits = seen.toByteArray();
    out.writeInt(bits.length);
    out.write(bits);
  }

  @Override
  public void load(DataInput in) throws IOException {
    received = in.readLong();
    unique = in.readLong();
    dups = in.readLong();
    reorders = in.readLong();
    last = in.readLong();
    doneAtNs = in.readLong();
    done = in.readBoolean();
    byte[] bits = new byte[StateCodec.count(in, Integer.MAX_VALUE / 8, "sequence bitmap bytes")];
    in.readFully(bits);
    seen.clear();
    seen.or(BitSet.valueOf(bits));
  }
}
