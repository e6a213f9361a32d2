package org.vccp.qemu.sim;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.Map;

/**
 * udp-seq-send, as the real guests' {@code vccp-udp seq-send} does it: a hello (sequence 0) every
 * 200 ms until the receiver echoes it, then datagrams 1, 2, ... paced at {@code rate} per second of
 * guest time, up to {@code count} (0: without end). Pacing is an absolute schedule from the moment
 * of the ack, so it continues after a pause or a restore without a burst; when the transmit ring is
 * full the sender waits, like a blocked {@code sendto}, and no number is skipped.
 */
final class UdpSeqSender implements SimWorkload {
  static final long HELLO_INTERVAL_NS = 200_000_000L;
  static final int SOURCE_PORT = 40000;

  private final int peerIp;
  private final int port;
  private final int flow;
  private final int rate;
  private final long count;
  private final int bytes;
  private boolean acked;
  private boolean done;
  private long nextHelloNs;
  private long bootNs;
  private long originNs;
  private long nextSeq = 1;
  private long sent;
  private long errors;

  UdpSeqSender(int peerIp, int port, int flow, int rate, long count, int bytes) {
    this.peerIp = peerIp;
    this.port = port;
    this.flow = flow;
    this.rate = rate;
    this.count = count;
    this.bytes = bytes;
  }

  @Override
  public void boot(long nowNs, SerialReport serial) {
    bootNs = nowNs;
    nextHelloNs = nowNs;
  }

  @Override
  public long tick(long nowNs, GuestNet net, SerialReport serial) {
    if (done) {
      return Long.MAX_VALUE;
    }
    if (!acked) {
      if (nowNs >= nextHelloNs) {
        net.sendUdp(peerIp, SOURCE_PORT, port, UdpSeqPayload.encode(flow, 0, nowNs, 0), nowNs);
        nextHelloNs = nowNs + HELLO_INTERVAL_NS;
      }
      return nextHelloNs;
    }
    long periodNs = 1_000_000_000L / rate;
    while (count == 0 || nextSeq <= count) {
      long dueNs = originNs + (nextSeq - 1) * periodNs;
      if (dueNs > nowNs) {
        return dueNs;
      }
      if (!net.canSend()) {
        return nowNs + periodNs; // woken earlier when the ring drains
      }
      byte[] data = UdpSeqPayload.encode(flow, nextSeq, nowNs, bytes);
      if (net.sendUdp(peerIp, SOURCE_PORT, port, data, nowNs)) {
        sent++;
      } else {
        errors++;
      }
      nextSeq++;
    }
    done = true;
    serial.report(
        "DONE",
        "workload",
        "udp-seq-send",
        "ok",
        sent,
        "fail",
        errors,
        "flow",
        flow,
        "sent",
        sent,
        "errors",
        errors);
    return Long.MAX_VALUE;
  }

  @Override
  public void onUdp(Frames.Udp datagram, long nowNs, GuestNet net, SerialReport serial) {
    if (acked
        || datagram.srcIp() != peerIp
        || !UdpSeqPayload.matches(datagram.data())
        || UdpSeqPayload.flow(datagram.data()) != flow
        || UdpSeqPayload.seq(datagram.data()) != 0) {
      return;
    }
    acked = true;
    originNs = nowNs;
    serial.report(
        "UDPSEQ",
        "role",
        "send",
        "flow",
        flow,
        "sent",
        0,
        "errors",
        0,
        "rate",
        rate,
        "count",
        count,
        "bytes",
        bytes,
        "waited_ms",
        (nowNs - bootNs) / 1_000_000);
  }

  @Override
  public void report(SerialReport serial) {
    if (acked) {
      serial.report("UDPSEQ", "role", "send", "flow", flow, "sent", sent, "errors", errors);
    }
  }

  /** The sequence number the next data datagram will carry. */
  long nextSeq() {
    return nextSeq;
  }

  @Override
  public Map<String, Long> counters() {
    return Map.of("sent", sent, "errors", errors, "next_seq", nextSeq, "acked", acked ? 1L : 0L);
  }

  @Override
  public void save(DataOutput out) throws IOException {
    out.writeBoolean(acked);
    out.writeBoolean(done);
    out.writeLong(nextHelloNs);
    out.writeLong(bootNs);
    out.writeLong(originNs);
    out.writeLong(nextSeq);
    out.writeLong(sent);
    out.writeLong(errors);
  }

  @Override
  public void load(DataInput in) throws IOException {
    acked = in.readBoolean();
    done = in.readBoolean();
    nextHelloNs = in.readLong();
    bootNs = in.readLong();
    originNs = in.readLong();
    nextSeq = in.readLong();
    sent = in.readLong();
    errors = in.readLong();
  }
}
