package org.vccp.vnet.port.packet;

import com.sun.jna.Memory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vccp.vnet.frame.EthernetFrame;
import org.vccp.vnet.frame.Offload;
import org.vccp.vnet.port.InterfacePort;
import org.vccp.vnet.port.PortBindException;
import org.vccp.vnet.port.PortSpec;
import org.vccp.vnet.ring.FrameRing;
import org.vccp.vnet.status.PortCounter;

/**
 * A port on an existing Linux interface with its offloads on ({@code pcap=IF,offload}): a {@link
 * PacketSocket} with virtio-net headers instead of libpcap. What the interface receives enters the
 * ring as it is, a TCP super-frame of up to 64 KiB included, with the work it still owes (its
 * {@link Offload} word); what the forwarder queues for the port leaves the same way, so between two
 * such ports a 64 KiB frame crosses the switch once instead of as 45 frames of 1,514 bytes, and the
 * receiving kernel, not the switch, finishes it. Towards ports that take no offloads (stream and
 * datagram ports to QEMU, libpcap ports) the forwarder cuts it into the frames it stands for.
 *
 * <p>The threads are those of the libpcap port: one receive thread per port, moving up to {@link
 * #RECEIVE_BATCH} frames into the ring per claim (one blocking read, then non-blocking ones until
 * the socket is empty); sending on the forwarder thread at the end of each batch, one {@code send}
 * per frame, which hands the frame to the interface and never waits for a peer. There is no snaplen
 * and no MTU to follow: the socket reads each frame whole, and a frame longer than the switch's
 * maximum is counted as {@link PortCounter#DROP_OVERSIZE}.
 */
public final class PacketPort extends InterfacePort {
  private static final Logger LOG = LoggerFactory.getLogger(PacketPort.class);

  /** Socket receive buffer: room for about 500 super-frames or 100,000 small frames. */
  private static final int RECEIVE_BUFFER_BYTES = 32 << 20;

  private static final int RECEIVE_BATCH = 256;
  private static final long IDLE_PARK_NS = TimeUnit.MILLISECONDS.toNanos(100);
  private static final long JOIN_MS = 5_000;
  private static final int HDR = Offload.VIRTIO_HEADER_BYTES;

  private final int maxFrameBytes;
  private final Consumer<? super PacketPort> onGone;
  private final VnetSender sender;

  /** Closed by {@link #close} under the send lock's write lock. */
  private volatile PacketSocket socket;

  /**
   * @param onGone called once, from the receive thread, when the interface no longer exists
   */
  public PacketPort(
      int id,
      PortSpec spec,
      FrameRing ring,
      int maxFrameBytes,
      int egressQueueBytes,
      Consumer<? super PacketPort> onGone) {
    super(id, offloadPort(spec), ring, egressQueueBytes);
    this.maxFrameBytes = maxFrameBytes;
    this.onGone = onGone;
    this.sender = new VnetSender(maxFrameBytes);
  }

  private static PortSpec offloadPort(PortSpec spec) {
    if (spec.mode() != PortSpec.Mode.PCAP || !spec.offload()) {
      throw new IllegalArgumentException("port " + spec.name() + " is not a pcap=IF,offload port");
    }
    return spec;
  }

  /**
   * Opens the socket and starts the receive thread.
   *
   * @throws PortBindException when the interface does not exist or no packet socket can be opened
   */
  @Override
  public void open() {
    String dev = spec.device();
    if (!Files.exists(Path.of("/sys/class/net", dev))) {
      throw new PortBindException(
          "port "
              + spec.name()
              + ": interface "
              + dev
              + " does not exist here; create it first (ip tuntap add / ip link add)",
          null);
    }
    try {
      socket = PacketSocket.open(dev, RECEIVE_BUFFER_BYTES);
    } catch (IOException e) {
      throw new PortBindException(
          "port "
              + spec.name()
              + ": cannot open a packet socket on "
              + dev
              + ": "
              + e.getMessage()
              + " (needs root or CAP_NET_RAW)",
          e);
    }
    running = true;
    linkUp = true;
    state = "attached to " + dev + " with offloads (packet socket, virtio-net headers)";
    Thread t = new Thread(this::receiveLoop, "vccp-packet-rx-" + spec.name());
    t.setDaemon(true);
    ingressThread = t;
    t.start();
    LOG.info("port {}: attached to interface {} with offloads on", spec.name(), dev);
  }

  @Override
  public boolean acceptsOffload() {
    return true;
  }

  /** Native memory one frame is received into, with its virtio-net header. Receive thread only. */
  private final Memory rx = new Memory(HDR + (long) FrameRing.MAX_FRAME_BYTES + 1);

  private void receiveLoop() {
    IngressBatch b =
        new IngressBatch(
            Math.max(256 * 1024, 2 * (HDR + FrameRing.MAX_FRAME_BYTES + 4)), RECEIVE_BATCH, true);
    long nextStatsNs = System.nanoTime();
    boolean reported = false;
    while (running) {
      if (ingressPaused) {
        LockSupport.parkNanos(this, IDLE_PARK_NS);
        continue;
      }
      int error = readBatch(b);
      if (error != 0 && error != PacketSocket.EAGAIN && running) {
        if (!Files.exists(Path.of("/sys/class/net", spec.device()))) {
          gone();
          return;
        }
        if (!reported && error != PacketSocket.ENETDOWN) {
          LOG.warn(
              "port {}: reading {} failed: errno {}; retrying", spec.name(), spec.device(), error);
          reported = true;
        }
      } else if (error == 0) {
        reported = false;
      }
      long now = System.nanoTime();
      if (now - nextStatsNs > 0) {
        nextStatsNs = now + TimeUnit.SECONDS.toNanos(1);
        PacketSocket s = socket;
        if (s != null) {
          long drops = s.takeDrops();
          if (drops > 0) {
            counters.add(PortCounter.DROP_KERNEL, drops);
          }
        }
        if (!Files.exists(Path.of("/sys/class/net", spec.device()))) {
          gone();
          return;
        }
      }
    }
  }

  private void gone() {
    linkUp = false;
    state = "interface " + spec.device() + " is gone";
    LOG.info("port {}: interface {} is gone", spec.name(), spec.device());
    onGone.accept(this);
  }

  /**
   * Waits up to the socket's timeout for a frame, then takes what else is waiting, and publishes
   * the lot in one claim.
   *
   * @return 0 after at least one read, else the errno of the read that found nothing
   */
  private int readBatch(IngressBatch b) {
    PacketSocket s = socket;
    int reads = 0;
    int error = 0;
    long capacity = rx.size();
    try {
      while (reads < RECEIVE_BATCH && b.hasRoom(capacity + EthernetFrame.VLAN_TAG_BYTES)) {
        long got = s.receive(rx, capacity, reads == 0);
        if (got < 0) {
          if (reads == 0) {
            error = PacketSocket.errno();
          }
          break;
        }
        reads++;
        take(b, got, capacity, s.vlanTag());
      }
    } finally {
      b.publish(); // frames read before an error are forwarded, not lost
    }
    return error;
  }

  /**
   * Copies the frame just received ({@code got} bytes with its virtio-net header) into the batch,
   * putting back the VLAN tag the kernel took off, or counts why not.
   */
  private void take(IngressBatch b, long got, long capacity, int tag) {
    int len = (int) got - HDR + (tag != 0 ? EthernetFrame.VLAN_TAG_BYTES : 0);
    if (got > capacity || len > maxFrameBytes) {
      counters.incrementShared(PortCounter.DROP_OVERSIZE); // the forwarder counts it too
      return;
    }
    if (len < EthernetFrame.HEADER_BYTES) {
      counters.increment(PortCounter.DROP_RUNT);
      return;
    }
    int at = b.used();
    long offload;
    if (tag == 0) {
      rx.read(0, b.data, at, (int) got);
      offload = Offload.fromVirtioHeader(b.data, at);
    } else {
      // put back the tag the kernel took off: MACs, tag, then the rest
      int macs = HDR + 12;
      rx.read(0, b.data, at, macs);
      b.data[at + macs] = (byte) (tag >>> 24);
      b.data[at + macs + 1] = (byte) (tag >>> 16);
      b.data[at + macs + 2] = (byte) (tag >>> 8);
      b.data[at + macs + 3] = (byte) tag;
      rx.read(macs, b.data, at + macs + 4, (int) got - macs);
      offload = Offload.shifted(Offload.fromVirtioHeader(b.data, at), 4);
    }
    b.add(HDR, len, offload);
  }

  @Override
  protected Sender sender() {
    return sender;
  }

  /** Sends queued frames, each after its virtio-net header. */
  private final class VnetSender extends Sender {
    private final Memory tx;
    private final byte[] header = new byte[HDR];

    VnetSender(int maxFrameBytes) {
      tx = new Memory(HDR + (long) maxFrameBytes + EthernetFrame.VLAN_TAG_BYTES);
    }

    @Override
    public boolean onFrame(byte[] buffer, int offset, int length, long packetId, int fromPort) {
      return onFrame(buffer, offset, length, packetId, fromPort, 0L);
    }

    @Override
    public boolean onFrame(
        byte[] buffer, int offset, int length, long packetId, int fromPort, long offload) {
      if (HDR + (long) length > tx.size()) {
        // only a frame from a checkpoint taken with a larger maximum can be this long
        refused(length, "longer than this switch's maximum frame", packetId, fromPort);
        return true;
      }
      Offload.toVirtioHeader(offload, buffer, offset, length, header, 0);
      tx.write(0, header, 0, HDR);
      tx.write(HDR, buffer, offset, length);
      PacketSocket s = socket; // under sendLock's read lock (egressReady): stays open
      if (s != null && s.send(tx, HDR + length)) {
        sent(length);
      } else {
        refused(
            length,
            s == null ? "the port is closed" : PacketSocket.lastError(),
            packetId,
            fromPort);
      }
      return true;
    }
  }

  /** Stops the receive thread (its read times out), then closes the socket. */
  @Override
  public void close() {
    if (socket == null) {
      return;
    }
    running = false;
    linkUp = false;
    state = "closed";
    Thread t = ingressThread;
    if (t != null && t != Thread.currentThread()) {
      LockSupport.unpark(t);
      try {
        t.join(JOIN_MS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      if (t.isAlive()) {
        LOG.warn("port {}: receive thread did not stop within {} ms", spec.name(), JOIN_MS);
        return; // leave the socket open rather than close it under a read
      }
    }
    sendLock.writeLock().lock();
    try {
      PacketSocket s = socket;
      socket = null;
      if (s != null) {
        s.close();
      }
    } finally {
      sendLock.writeLock().unlock();
    }
  }
}
