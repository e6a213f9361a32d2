package org.vccp.qemu.sim;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The simulated guest's network stack and NIC transmit ring: it answers ARP requests for its own
 * address, resolves destinations by ARP like a real stack (learning from requests addressed to it
 * and from replies), hands UDP datagrams for its address to the workload, and queues outgoing
 * frames in a bounded transmit ring that the netdev drains while the guest runs.
 *
 * <p>The ARP cache and the transmit ring are guest memory, so both are in the migration image: a
 * frame the workload queued before a checkpoint leaves after the restore, exactly once. Used only
 * under the machine lock.
 */
final class GuestNet {
  static final int TX_RING_FRAMES = 256;
  static final long ARP_RETRY_NS = 200_000_000L;

  private final long mac;
  private final int ip;
  private final Map<Integer, Long> arpCache = new LinkedHashMap<>();
  private final ArrayDeque<byte[]> txRing = new ArrayDeque<>();
  private int nextIpId = 1;
  private long lastArpRequestNs = Long.MIN_VALUE / 2;
  private int lastArpRequestIp;
  private long rxFrames;
  private long txFrames;
  private long txDropped;

  GuestNet(long mac, int ip) {
    this.mac = mac;
    this.ip = ip;
  }

  long mac() {
    return mac;
  }

  int ip() {
    return ip;
  }

  /** True when the transmit ring has room for a frame (the workload's backpressure). */
  boolean canSend() {
    return txRing.size() < TX_RING_FRAMES;
  }

  int txQueued() {
    return txRing.size();
  }

  boolean txEmpty() {
    return txRing.isEmpty();
  }

  /** The next frame for the wire, or null; the frame is no longer guest state once taken. */
  byte[] takeTx() {
    byte[] frame = txRing.poll();
    if (frame != null) {
      txFrames++;
    }
    return frame;
  }

  /**
   * Queues a UDP datagram to {@code dstIp}. When its MAC is unknown this sends an ARP request (at
   * most one per {@link #ARP_RETRY_NS}) and drops the datagram, returning false.
   */
  boolean sendUdp(int dstIp, int srcPort, int dstPort, byte[] data, long nowNs) {
    Long dstMac = arpCache.get(dstIp);
    if (dstMac == null) {
      if (nowNs - lastArpRequestNs >= ARP_RETRY_NS || lastArpRequestIp != dstIp) {
        lastArpRequestNs = nowNs;
        lastArpRequestIp = dstIp;
        enqueue(Frames.arp(Frames.ARP_REQUEST, mac, ip, Frames.BROADCAST, 0, dstIp));
      }
      return false;
    }
    int id = nextIpId;
    nextIpId = (nextIpId + 1) & 0xffff;
    return enqueue(Frames.udp(mac, dstMac, ip, dstIp, id, srcPort, dstPort, data, data.length));
  }

  /** Handles one received frame: ARP here, UDP for our address to {@code workload}. */
  void receive(byte[] frame, long nowNs, SimWorkload workload, SerialReport serial) {
    long dst = Frames.dstMac(frame);
    if (dst != mac && dst != Frames.BROADCAST) {
      return;
    }
    rxFrames++;
    int type = Frames.etherType(frame);
    if (type == Frames.ETHERTYPE_ARP) {
      Frames.Arp arp = Frames.parseArp(frame);
      if (arp == null || ip == 0) {
        return;
      }
      if (arp.targetIp() == ip) {
        arpCache.put(arp.senderIp(), arp.senderMac());
        if (arp.op() == Frames.ARP_REQUEST) {
          enqueue(
              Frames.arp(
                  Frames.ARP_REPLY, mac, ip, arp.senderMac(), arp.senderMac(), arp.senderIp()));
        }
      }
    } else if (type == Frames.ETHERTYPE_IPV4) {
      Frames.Udp udp = Frames.parseUdp(frame);
      if (udp != null && udp.dstIp() == ip) {
        workload.onUdp(udp, nowNs, this, serial);
      }
    }
  }

  private boolean enqueue(byte[] frame) {
    if (!canSend()) {
      txDropped++;
      return false;
    }
    txRing.add(frame);
    return true;
  }

  long rxFrames() {
    return rxFrames;
  }

  long txFrames() {
    return txFrames;
  }

  long txDropped() {
    return txDropped;
  }

  void save(DataOutput out) throws IOException {
    out.writeInt(nextIpId);
    out.writeLong(lastArpRequestNs);
    out.writeInt(lastArpRequestIp);
    out.writeLong(rxFrames);
    out.writeLong(txFrames);
    out.writeLong(txDropped);
    out.writeInt(arpCache.size());
    for (Map.Entry<Integer, Long> entry : arpCache.entrySet()) {
      out.writeInt(entry.getKey());
      out.writeLong(entry.getValue());
    }
    out.writeInt(txRing.size());
    for (byte[] frame : txRing) {
      out.writeShort(frame.length);
      out.write(frame);
    }
  }

  void load(DataInput in) throws IOException {
    nextIpId = in.readInt();
    lastArpRequestNs = in.readLong();
    lastArpRequestIp = in.readInt();
    rxFrames = in.readLong();
    txFrames = in.readLong();
    txDropped = in.readLong();
    arpCache.clear();
    int entries = StateCodec.count(in, 1 << 16, "ARP entries");
    for (int i = 0; i < entries; i++) {
      arpCache.put(in.readInt(), in.readLong());
    }
    txRing.clear();
    int frames = StateCodec.count(in, TX_RING_FRAMES, "transmit ring frames");
    for (int i = 0; i < frames; i++) {
      byte[] frame = new byte[in.readUnsignedShort()];
      in.readFully(frame);
      txRing.add(frame);
    }
  }
}
