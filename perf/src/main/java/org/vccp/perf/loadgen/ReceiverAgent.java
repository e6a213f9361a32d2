package org.vccp.perf.loadgen;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import org.HdrHistogram.Histogram;

/**
 * The loop of one receiver port: broadcasts a hello until the run is released, so that a learning
 * switch knows where its MAC lives and every sender knows the path works, then reads and accounts
 * every data frame addressed to it until the run stops.
 *
 * <p>Accounting is per sender ({@link SequenceTracker}); one-way latency is receive time minus the
 * timestamp in the frame (both {@code System.nanoTime()} on this host) and is recorded only for
 * frames that arrive inside the measurement window. Frames not addressed to this port are read and
 * counted as discarded.
 */
final class ReceiverAgent implements Runnable {
  /** Latencies above a minute are clamped: such a frame is a stall, not a latency sample. */
  static final long HIGHEST_LATENCY_NS = 60_000_000_000L;

  private static final long HELLO_INTERVAL_NS = 20_000_000L;

  private final int receiver;
  private final int portIndex;
  private final long mac;
  private final int senders;
  private final PortConnection port;
  private final RunControl control;
  private final FrameInbox inbox;
  private final SequenceTracker[] trackers;
  private final Histogram latency = new Histogram(HIGHEST_LATENCY_NS, 3);
  private final ByteBuffer hello;
  private long measureStartNs = Long.MAX_VALUE;
  private long measureEndNs = Long.MIN_VALUE;
  private long uniqueSoFar;
  private long receivedInWindow;
  private long discarded;
  private long corrupt;
  private volatile long lastRxNs;
  private volatile long uniqueReceived;

  ReceiverAgent(int receiver, LoadSpec spec, PortConnection port, RunControl control) {
    this.receiver = receiver;
    this.portIndex = spec.senders() + receiver;
    this.mac = TestFrame.portMac(portIndex);
    this.senders = spec.senders();
    this.port = port;
    this.control = control;
    this.inbox = new FrameInbox(port.name(), FrameInbox.DEFAULT_BUFFER_BYTES, this::onFrame);
    this.trackers = new SequenceTracker[senders];
    for (int s = 0; s < senders; s++) {
      trackers[s] = new SequenceTracker();
    }
    this.hello = ByteBuffer.allocateDirect(TestFrame.PREFIX_BYTES + LoadSpec.MIN_FRAME_BYTES);
    TestFrame.writeTemplate(
        hello, 0, LoadSpec.MIN_FRAME_BYTES, mac, TestFrame.KIND_HELLO, portIndex);
    TestFrame.stamp(hello, 0, TestFrame.BROADCAST_MAC, 0, 0);
  }

  @Override
  public void run() {
    try {
      if (helloUntilReleased()) {
        measureStartNs = control.measureStartNs();
        measureEndNs = control.measureEndNs();
        receiveUntilStopped();
      }
    } catch (IOException | RuntimeException | Error e) {
      if (!control.stopped()) {
        control.fail(e);
      }
    }
  }

  private boolean helloUntilReleased() throws IOException {
    SocketChannel channel = port.channel();
    long lastHello = System.nanoTime() - HELLO_INTERVAL_NS;
    while (!control.released()) {
      if (control.stopped()) {
        return false;
      }
      long now = System.nanoTime();
      if (now - lastHello >= HELLO_INTERVAL_NS) {
        hello.clear();
        port.writeFully(hello, inbox, control);
        lastHello = now;
      }
      inbox.poll(channel);
      port.await(false, 5);
    }
    return !control.stopped();
  }

  /**
   * Blocking reads from here on; the generator ends them with {@link PortConnection#wakeReader}.
   */
  private void receiveUntilStopped() throws IOException {
    SocketChannel channel = port.channel();
    port.switchToBlockingReads();
    while (!control.stopped()) {
      inbox.poll(channel);
      lastRxNs = System.nanoTime();
      uniqueReceived = uniqueSoFar;
    }
  }

  private void onFrame(ByteBuffer buf, int frame, int length, long rxNs) {
    if (TestFrame.destination(buf, frame) != mac
        || !TestFrame.isKind(buf, frame, length, TestFrame.KIND_DATA)) {
      discarded++;
      return;
    }
    int sender = TestFrame.portIndex(buf, frame);
    if (sender < 0 || sender >= senders) {
      corrupt++;
      return;
    }
    if (trackers[sender].record(TestFrame.sequence(buf, frame))) {
      uniqueSoFar++;
    }
    if (rxNs >= measureStartNs && rxNs < measureEndNs) {
      receivedInWindow++;
      long latencyNs = rxNs - TestFrame.timestampNs(buf, frame);
      latency.recordValue(Math.max(0, Math.min(latencyNs, HIGHEST_LATENCY_NS)));
    }
  }

  int receiver() {
    return receiver;
  }

  /** The tracker of frames from {@code sender}; read after the thread ended. */
  SequenceTracker tracker(int sender) {
    return trackers[sender];
  }

  Histogram latency() {
    return latency;
  }

  long receivedInWindow() {
    return receivedInWindow;
  }

  long discarded() {
    return discarded;
  }

  /** Data frames for this port with a sender index or sequence that cannot be ours. */
  long corrupt() {
    long total = corrupt;
    for (SequenceTracker t : trackers) {
      total += t.corrupt();
    }
    return total;
  }

  /** Nanotime of the last read that returned data; safe to read while running. */
  long lastRxNs() {
    return lastRxNs;
  }

  /** Distinct data frames received so far; safe to read while running. */
  long uniqueReceived() {
    return uniqueReceived;
  }
}
