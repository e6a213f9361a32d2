package org.vccp.vnet.port.pcap;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.pcap4j.core.NotOpenException;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.PcapNativeException;
import org.pcap4j.core.PcapNetworkInterface.PromiscuousMode;
import org.pcap4j.core.PcapStat;
import org.pcap4j.core.RawPacketListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vccp.vnet.frame.EthernetFrame;
import org.vccp.vnet.port.EgressQueue;
import org.vccp.vnet.port.InterfacePort;
import org.vccp.vnet.port.PortBindException;
import org.vccp.vnet.port.PortSpec;
import org.vccp.vnet.ring.FrameRing;
import org.vccp.vnet.status.PortCounter;

/**
 * A port on an existing Linux interface — a QEMU tap, a veth, or a physical uplink — through
 * libpcap (pcap4j). Frames the interface receives enter the ring; frames for the port are injected
 * with {@code pcap_sendpacket}, so they leave the interface towards whatever is behind it (the
 * guest, the other end of the veth, the wire).
 *
 * <p>One capture thread per port, because libpcap offers no readiness to multiplex on and a blocked
 * capture on an idle interface never times out. It dispatches with the handle in immediate mode,
 * direction IN (so the frames this port injects, and the host's own traffic, are not captured
 * again), and copies each frame into a ring slot. Sending needs no thread of its own: at the end of
 * each batch the forwarder drains the {@link EgressQueue} straight into {@code sendPacket}, a
 * packet-socket send that hands the frame to the interface and does not wait for a peer (a tap or
 * veth drops rather than blocks when its queue is full). On two cores this saves a thread wake-up
 * per batch, which is most of the latency (measured: BENCHMARKS.md).
 *
 * <p>Offloads must be off on the interface (see the README), or the interface attached with {@code
 * pcap=IF,offload} instead ({@link org.vccp.vnet.port.packet.PacketPort}): libpcap cannot inject a
 * frame longer than the MTU + 14 (EMSGSIZE), and an interface with GSO/GRO or checksum offload on
 * delivers super-frames of up to 64 KiB with unfinished checksums. Such a frame is dropped at
 * ingress, counted as {@link PortCounter#DROP_GSO} and reported once in the log with the ethtool
 * command to fix it; a frame the interface refuses on egress is counted as {@link
 * PortCounter#DROP_SEND_ERROR}.
 *
 * <p>The snaplen is therefore the longest frame the port accepts (MTU + Ethernet header + one VLAN
 * tag), not 64 KiB. In immediate mode libpcap uses TPACKET_V2, whose kernel ring slots are
 * snaplen-sized; libpcap clips them to MTU + 18 by itself only when the interface has no offload
 * on, so with a 64 KiB snaplen an interface with TSO, GSO or GRO on got 40 times fewer slots. A
 * longer frame arrives cut short (by the snaplen, or by the slot), so only its length on the wire
 * ({@code getOriginalLength}) tells: it is dropped and counted as above, never forwarded truncated.
 * When the MTU changes while the port runs, the capture thread reopens the handle with the new
 * snaplen (it re-reads the MTU once a second while frames arrive, and at the first frame that no
 * longer fits), so jumbo frames pass after a raise and the ring regains its slots after a lowering.
 * Until then frames longer than the old snaplen are dropped as {@link PortCounter#DROP_OVERSIZE},
 * and frames still in the old handle's kernel ring are lost, as in a brief link flap. If the reopen
 * fails, the port keeps the old handle, says so once in the log, and the user re-adds the port.
 *
 * <p>Shutdown follows FACTS.md: stop the send thread, {@code breakLoop}, join the capture thread,
 * and only then {@code close} (closing under a blocked capture deadlocks). When the interface
 * itself disappears (QEMU exited and took its tap along) the port reports it through {@code onGone}
 * so the switch can remove it.
 */
public final class PcapPort extends InterfacePort {
  private static final Logger LOG = LoggerFactory.getLogger(PcapPort.class);

  /**
   * TPACKET_V2 slots are snaplen-sized plus about 70 bytes of header, in page-sized blocks: 32 MiB
   * holds about 21,000 frames at MTU 1500 and 3,700 at MTU 9000 (a 64 KiB snaplen: 512). Measured
   * with 8, 32 and 64 MiB (BENCHMARKS.md): TCP through the port lost nothing in the kernel at 32
   * MiB, and no size kept up with a UDP flood; a larger ring did not help.
   */
  private static final int KERNEL_BUFFER_BYTES = 32 << 20;

  /** The most frames the capture thread moves into the ring at once. */
  private static final int CAPTURE_BATCH = 256;

  private static final int POLL_MS = 100;
  private static final long IDLE_PARK_NS = TimeUnit.MILLISECONDS.toNanos(100);
  private static final long RETRY_NS = TimeUnit.MILLISECONDS.toNanos(200);
  private static final long JOIN_MS = 5_000;

  /** Ethernet header plus one 802.1Q tag: a frame may exceed the MTU by this much. */
  private static final int L2_OVERHEAD = EthernetFrame.HEADER_BYTES + 4;

  private final int maxFrameBytes;
  private final Consumer<PcapPort> onGone;
  private final PcapSender sender = new PcapSender();
  private final AtomicBoolean gsoWarned = new AtomicBoolean();

  private volatile PcapHandle handle;

  /**
   * {@link #handle}'s {@code pcap_t} for {@link PcapFastPath}, or null without it. The forwarder
   * sends on it under {@link #sendLock}'s read lock; whoever replaces or closes the handle holds
   * the write lock, so a send never runs on a closed {@code pcap_t}.
   */
  private volatile com.sun.jna.Pointer pcap;

  private volatile int mtu;
  private volatile int maxCaptureBytes;
  private volatile int snaplen;
  private long lastMtuReadNs;

  /** The capture bytes whose reopen failed; not retried until the MTU changes again. */
  private int reopenFailedFor;

  /**
   * Kernel drops counted by handles this port has already closed (a reopen restarts pcap stats).
   */
  private long kernelDropsBase;

  /**
   * @param onGone called once, from the capture thread, when the interface no longer exists
   */
  public PcapPort(
      int id,
      PortSpec spec,
      FrameRing ring,
      int maxFrameBytes,
      int egressQueueBytes,
      Consumer<PcapPort> onGone) {
    super(id, pcapPort(spec), ring, egressQueueBytes);
    this.maxFrameBytes = maxFrameBytes;
    this.onGone = onGone;
  }

  private static PortSpec pcapPort(PortSpec spec) {
    if (spec.mode() != PortSpec.Mode.PCAP) {
      throw new IllegalArgumentException("port " + spec.name() + " is not a pcap= port");
    }
    return spec;
  }

  /**
   * Opens the capture handle and starts both threads.
   *
   * @throws PortBindException when the interface does not exist or cannot be captured on
   */
  @Override
  public void open() {
    String dev = spec.device();
    mtu = readMtu(dev);
    maxCaptureBytes = Math.min(maxFrameBytes, mtu + L2_OVERHEAD);
    snaplen = maxCaptureBytes;
    handle = openHandle(snaplen);
    pcap = PcapFastPath.available() ? PcapFastPath.pcapOf(handle) : null;
    running = true;
    linkUp = true;
    state = attachedState();
    ingressThread = start("vccp-pcap-rx-" + spec.name(), this::captureLoop);
    LOG.info(
        "port {}: attached to interface {} (mtu {}, snaplen {})", spec.name(), dev, mtu, snaplen);
  }

  /** A capture handle on the port's interface that keeps {@code snaplenBytes} of each frame. */
  private PcapHandle openHandle(int snaplenBytes) {
    String dev = spec.device();
    try {
      PcapHandle h =
          new PcapHandle.Builder(dev)
              .snaplen(snaplenBytes)
              .promiscuousMode(PromiscuousMode.PROMISCUOUS)
              .immediateMode(true)
              .bufferSize(KERNEL_BUFFER_BYTES)
              .timeoutMillis(100)
              .direction(PcapHandle.PcapDirection.IN)
              .build();
      try {
        if (!PcapFastPath.ignoreOutgoing(h)) {
          LOG.debug(
              "port {}: the kernel copies frames sent on {} to its capture too (no"
                  + " PACKET_IGNORE_OUTGOING); libpcap skips them",
              spec.name(),
              dev);
        }
      } catch (RuntimeException e) {
        h.close();
        throw e;
      }
      return h;
    } catch (PcapNativeException | RuntimeException e) {
      throw new PortBindException(
          "port "
              + spec.name()
              + ": cannot capture on interface "
              + dev
              + ": "
              + e.getMessage()
              + " (needs root or CAP_NET_RAW, and libpcap0.8)",
          e);
    }
  }

  private String attachedState() {
    return "attached to " + spec.device() + " (mtu " + mtu + ", snaplen " + snaplen + ")";
  }

  private static Thread start(String name, Runnable body) {
    Thread t = new Thread(body, name);
    t.setDaemon(true);
    t.start();
    return t;
  }

  /** The interface's MTU from sysfs; a missing interface fails here with a clear message. */
  private int readMtu(String dev) {
    Path mtuFile = Path.of("/sys/class/net", dev, "mtu");
    try {
      return Integer.parseInt(Files.readString(mtuFile).trim());
    } catch (IOException | NumberFormatException e) {
      throw new PortBindException(
          "port "
              + spec.name()
              + ": interface "
              + dev
              + " does not exist here (no "
              + mtuFile
              + "); create it first (ip tuntap add / ip link add)",
          e);
    }
  }

  private final RawPacketListener capture = this::onCaptured;

  private void onCaptured(byte[] frame) {
    int len = frame.length;
    // pcap4j sets the original length per packet, on this thread, just before calling us
    Integer original = handle.getOriginalLength();
    if (admit(len, original == null ? len : original)) {
      counters.increment(PortCounter.RX_FRAMES);
      counters.add(PortCounter.RX_BYTES, len);
      ring.publishFrame(id, frame, 0, len);
    }
  }

  /**
   * Whether a captured frame ({@code len} bytes captured of {@code wireLen} on the wire) may be
   * forwarded; if not, counts why.
   */
  private boolean admit(int len, int wireLen) {
    if (len < EthernetFrame.HEADER_BYTES) {
      counters.increment(PortCounter.DROP_RUNT);
      return false;
    }
    if (wireLen > maxCaptureBytes && !mtuGrewTo(wireLen)) {
      dropTooLong(wireLen);
      return false;
    }
    if (len < wireLen) {
      // fits the MTU, raised since the handle was opened: the capture loop reopens it
      counters.incrementShared(PortCounter.DROP_OVERSIZE); // the forwarder counts it too
      return false;
    }
    return true;
  }

  /**
   * Capture thread, fast path: moves the frames that are ready (up to {@link #CAPTURE_BATCH}) into
   * the ring in one claim, or waits up to {@link #POLL_MS} for one.
   */
  private void readBatch(PcapFastPath.Reader reader, IngressBatch b) throws PcapNativeException {
    int reads = 0;
    try {
      // bounded by reads, not by frames kept: a flood of refused frames must not keep the
      // capture thread from checking whether to stop, pause or reopen
      while (reads < CAPTURE_BATCH && b.hasRoom(FrameRing.MAX_FRAME_BYTES) && reader.next()) {
        reads++;
        int len = reader.capturedLength();
        if (!admit(len, reader.wireLength())) {
          continue;
        }
        reader.copyTo(b.data, b.used());
        b.add(0, len, 0L);
      }
    } finally {
      b.publish(); // frames read before a read error are forwarded, not lost
    }
    if (reads == 0) {
      reader.await(POLL_MS);
    }
  }

  /** A frame longer than the MTU allows (its wire length; the capture may hold less of it). */
  private void dropTooLong(int len) {
    PortCounter reason = len > maxFrameBytes ? PortCounter.DROP_OVERSIZE : PortCounter.DROP_GSO;
    counters.incrementShared(reason); // the forwarder counts both too
    if (gsoWarned.compareAndSet(false, true)) {
      LOG.warn(
          "port {}: dropped a {}-byte frame from {}, longer than its MTU allows: offloads are"
              + " on; attach it with its offloads as pcap={},offload instead, or run `ethtool -K"
              + " {} tx off tso off gso off gro off` (and on the sender side of a veth), or"
              + " give a tap no vnet header (QEMU vnet_hdr=off); counted as {}",
          spec.name(),
          len,
          spec.device(),
          spec.device(),
          spec.device(),
          reason.metricName());
    }
  }

  private void captureLoop() {
    boolean reported = false;
    long nextStatsNs = System.nanoTime();
    IngressBatch batch =
        pcap != null
            ? new IngressBatch(
                Math.max(256 * 1024, 2 * FrameRing.MAX_FRAME_BYTES), CAPTURE_BATCH, false)
            : null;
    PcapFastPath.Reader reader = null;
    while (running) {
      if (ingressPaused) {
        LockSupport.parkNanos(this, IDLE_PARK_NS);
        continue;
      }
      try {
        if (batch == null) {
          handle.dispatch(-1, capture);
        } else {
          PcapHandle h = handle;
          if (reader == null || !reader.reads(h)) {
            reader = new PcapFastPath.Reader(h);
          }
          readBatch(reader, batch);
        }
        reported = false;
      } catch (InterruptedException e) {
        continue; // breakLoop: re-check running
      } catch (PcapNativeException | NotOpenException e) {
        if (!running) {
          break;
        }
        if (!Files.exists(Path.of("/sys/class/net", spec.device()))
            || String.valueOf(e.getMessage()).contains("disappeared")) {
          linkUp = false;
          state = "interface " + spec.device() + " is gone";
          LOG.info("port {}: interface {} is gone", spec.name(), spec.device());
          onGone.accept(this);
          return;
        }
        if (!reported) {
          LOG.warn("port {}: capture on {} failed: {}", spec.name(), spec.device(), e.getMessage());
          reported = true;
        }
        LockSupport.parkNanos(this, RETRY_NS);
      }
      long now = System.nanoTime();
      if (now - nextStatsNs > 0) {
        nextStatsNs = now + TimeUnit.SECONDS.toNanos(1);
        readKernelDrops();
        refreshMtu();
      }
      if (running && maxCaptureBytes != snaplen && maxCaptureBytes != reopenFailedFor) {
        reopenForMtu();
      }
    }
  }

  /**
   * Re-reads the MTU (at most every 100 ms) in case it was raised; true if {@code len} fits now.
   */
  private boolean mtuGrewTo(int len) {
    long now = System.nanoTime();
    if (now - lastMtuReadNs < TimeUnit.MILLISECONDS.toNanos(100)) {
      return false;
    }
    lastMtuReadNs = now;
    refreshMtu();
    return len <= maxCaptureBytes;
  }

  /**
   * The MTU may change under a running port (ip link set mtu); follow it. The capture loop then
   * reopens the handle with the matching snaplen.
   */
  private void refreshMtu() {
    try {
      mtu =
          Integer.parseInt(
              Files.readString(Path.of("/sys/class/net", spec.device(), "mtu")).trim());
      maxCaptureBytes = Math.min(maxFrameBytes, mtu + L2_OVERHEAD);
    } catch (IOException | NumberFormatException e) {
      // the interface is going away; the capture error path handles that
    }
  }

  /**
   * Capture thread, between dispatches: the MTU changed, so the snaplen no longer matches it (too
   * short, frames that now fit would arrive truncated; too long, the kernel ring holds fewer frames
   * than it could). Opens a handle with the new snaplen, then swaps it in and closes the old one;
   * frames still in the old handle's kernel ring are lost. The forwarder may be sending on the old
   * handle: pcap4j's handle lock makes close wait for it, and a send that finds the old handle
   * closed retries on the new one.
   */
  private void reopenForMtu() {
    int wanted = maxCaptureBytes;
    PcapHandle fresh;
    try {
      fresh = openHandle(wanted);
    } catch (PortBindException e) {
      reopenFailedFor = wanted;
      LOG.warn(
          "port {}: the MTU of {} changed, but the capture could not be reopened to keep {}"
              + " bytes per frame ({}); frames longer than {} bytes are dropped as"
              + " drop_oversize: remove and re-add the port",
          spec.name(),
          spec.device(),
          wanted,
          e.getMessage(),
          snaplen);
      return;
    }
    PcapHandle old = handle;
    readKernelDrops();
    kernelDropsBase = counters.get(PortCounter.DROP_KERNEL);
    snaplen = wanted;
    sendLock.writeLock().lock();
    try {
      handle = fresh;
      pcap = pcap != null ? PcapFastPath.pcapOf(fresh) : null;
      old.close();
    } finally {
      sendLock.writeLock().unlock();
    }
    state = attachedState();
    LOG.info(
        "port {}: the MTU of {} changed to {}; capture reopened with snaplen {}",
        spec.name(),
        spec.device(),
        mtu,
        wanted);
  }

  /** Frames the kernel has put into this port's capture so far (its {@code ps_recv}), for tests. */
  long kernelCaptured() throws PcapNativeException, NotOpenException {
    sendLock.readLock().lock();
    try {
      return handle.getStats().getNumPacketsReceived();
    } finally {
      sendLock.readLock().unlock();
    }
  }

  private void readKernelDrops() {
    try {
      PcapStat st = handle.getStats();
      long kernel = kernelDropsBase + st.getNumPacketsDropped();
      long prev = counters.get(PortCounter.DROP_KERNEL);
      if (kernel > prev) {
        counters.add(PortCounter.DROP_KERNEL, kernel - prev);
      }
    } catch (PcapNativeException | NotOpenException | RuntimeException e) {
      LOG.debug("port {}: no capture statistics: {}", spec.name(), e.getMessage());
    }
  }

  /**
   * Injects queued frames one by one; a refused frame is counted, never retried.
   *
   * <p>pcap4j passes the whole array to {@code pcap_sendpacket} through JNA, which copies all of it
   * into native memory and back on every call, whatever the length given. So each frame goes out
   * from the smallest of a set of power-of-two scratch arrays that holds it: a 1,514-byte frame
   * costs two 2 KiB copies, not two 64 KiB ones (a 64 KiB scratch array was the forwarder's largest
   * cost: 16% of all CPU samples in a TCP run, BENCHMARKS.md).
   */
  private final class PcapSender extends Sender {
    private static final int SMALLEST_SHIFT = 7;
    private final PcapFastPath.Sender fast =
        PcapFastPath.available() ? new PcapFastPath.Sender() : null;
    private final byte[][] scratch =
        new byte[33 - Integer.numberOfLeadingZeros(FrameRing.MAX_FRAME_BYTES) - SMALLEST_SHIFT][];

    /** A reusable array of at least {@code length} bytes and less than twice that (or 128). */
    private byte[] scratchFor(int length) {
      int shift = Math.max(SMALLEST_SHIFT, 32 - Integer.numberOfLeadingZeros(length - 1));
      int i = shift - SMALLEST_SHIFT;
      byte[] a = scratch[i];
      if (a == null) {
        a = new byte[1 << shift];
        scratch[i] = a;
      }
      return a;
    }

    @Override
    public boolean onFrame(byte[] buffer, int offset, int length, long packetId, int fromPort) {
      if (fast != null) {
        // under sendLock's read lock (egressReady): the pcap_t stays open
        com.sun.jna.Pointer p = pcap;
        String error = p == null ? "the capture is closed" : fast.send(p, buffer, offset, length);
        if (error == null) {
          sent(length);
        } else {
          refused(length, error, packetId, fromPort);
        }
        return true;
      }
      byte[] scratch = scratchFor(length);
      System.arraycopy(buffer, offset, scratch, 0, length);
      PcapHandle h = handle;
      try {
        try {
          h.sendPacket(scratch, length);
        } catch (NotOpenException e) {
          PcapHandle reopened = handle;
          if (reopened == h || reopened == null) {
            throw e;
          }
          reopened.sendPacket(scratch, length); // the capture thread swapped handles
        }
        sent(length);
      } catch (PcapNativeException | NotOpenException e) {
        refused(length, e.getMessage(), packetId, fromPort);
      }
      return true;
    }
  }

  @Override
  protected Sender sender() {
    return sender;
  }

  /** Stops sending, breaks the capture loop, joins both threads, then closes the handle. */
  @Override
  public void close() {
    if (!running && handle == null) {
      return;
    }
    running = false;
    linkUp = false;
    state = "closed";
    boolean captureDone = join(ingressThread);
    PcapHandle h = handle; // read after the join: a reopen may have replaced it
    if (h != null) {
      if (captureDone) {
        sendLock.writeLock().lock();
        try {
          pcap = null;
          h.close();
        } finally {
          sendLock.writeLock().unlock();
        }
      } else {
        LOG.warn(
            "port {}: capture thread did not stop within {} ms; leaving the pcap handle open"
                + " rather than risk a deadlock in close",
            spec.name(),
            JOIN_MS);
      }
    }
    handle = null;
  }

  /** Joins the capture thread {@code t}, breaking the loop of whichever handle it captures on. */
  private boolean join(Thread t) {
    if (t == null || t == Thread.currentThread()) {
      return true;
    }
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(JOIN_MS);
    try {
      while (t.isAlive() && System.nanoTime() - deadline < 0) {
        PcapHandle h = handle;
        if (h != null) {
          try {
            h.breakLoop();
          } catch (NotOpenException e) {
            // closed by a reopen: the next round breaks the new handle's loop
          }
        }
        LockSupport.unpark(t);
        t.join(50);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return !t.isAlive();
  }
}
