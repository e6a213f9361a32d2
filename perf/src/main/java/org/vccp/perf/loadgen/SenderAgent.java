package org.vccp.perf.loadgen;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;

/**
 * The loop of one sender port: waits for every receiver's hello, sends unicast data frames
 * round-robin over the receivers for the run, then only reads until the run stops.
 *
 * <p>Frames are built in place in one direct batch buffer whose slots were prepared once from a
 * template; a batch costs one {@code write} however many frames it holds. The port always reads and
 * discards what arrives, because a hub floods every frame to every port and a port that does not
 * read would stall it.
 */
final class SenderAgent implements Runnable {
  static final int BATCH_BYTES = 64 * 1024;
  private static final long PACED_SPIN_NS = 25_000;

  /**
   * While blocked on a full socket, a sender that was woken only by flooded frames naps this long
   * before sleeping again, so that it reads floods in batches instead of one wakeup per frame
   * (measured: half of a 4→1 hub run went to context switches without it). A stream socket holds
   * about 270 small frames, several milliseconds of flood at hub rates, so nothing stalls.
   */
  private static final long FLOOD_NAP_NS = 50_000;

  private final int index;
  private final LoadSpec spec;
  private final PortConnection port;
  private final RunControl control;
  private final long[] receiverMacs;
  private final int firstReceiverPort;
  private final int slotBytes;
  private final int framesPerBatch;
  private final ByteBuffer out;
  private final FrameInbox inbox;
  private final boolean[] helloSeen;
  private final long[] sentPerReceiver;
  private volatile int hellos;
  private int nextReceiver;
  private long sentInWindow;
  private long discarded;

  /**
   * Paced mode: how late each frame of the window was handed to the socket, the time its batch was
   * stamped minus its intended send time. Latency is measured from the intended time, so this part
   * of it is the generator's own: the sender did not get the CPU on time, or was still writing an
   * earlier batch into a full socket. (The write of the batch itself is not in it.)
   */
  private final Histogram lateness = new Histogram(ReceiverAgent.HIGHEST_LATENCY_NS, 3);

  SenderAgent(int index, LoadSpec spec, PortConnection port, RunControl control) {
    this.index = index;
    this.spec = spec;
    this.port = port;
    this.control = control;
    this.firstReceiverPort = spec.senders();
    this.receiverMacs = new long[spec.receivers()];
    for (int r = 0; r < receiverMacs.length; r++) {
      receiverMacs[r] = TestFrame.portMac(firstReceiverPort + r);
    }
    this.slotBytes = TestFrame.PREFIX_BYTES + spec.frameBytes();
    this.framesPerBatch = Math.max(1, BATCH_BYTES / slotBytes);
    this.out = ByteBuffer.allocateDirect(framesPerBatch * slotBytes);
    long mac = TestFrame.portMac(index);
    for (int i = 0; i < framesPerBatch; i++) {
      TestFrame.writeTemplate(
          out, i * slotBytes, spec.frameBytes(), mac, TestFrame.KIND_DATA, index);
    }
    out.limit(0);
    this.inbox = new FrameInbox(port.name(), FrameInbox.DEFAULT_BUFFER_BYTES, this::onFrame);
    this.helloSeen = new boolean[spec.receivers()];
    this.sentPerReceiver = new long[spec.receivers()];
  }

  @Override
  public void run() {
    boolean sent = false;
    boolean preciseSleep = TimerSlack.minimiseForCurrentThread();
    try {
      if (awaitHellosAndRelease()) {
        if (spec.mode() == SendMode.MAX) {
          sendAtMaxRate();
        } else {
          sendPaced(preciseSleep ? PACED_SPIN_NS : 0);
        }
        sent = true;
        control.sendersDone().countDown();
        drainUntilStopped();
      }
    } catch (IOException | RuntimeException | Error e) {
      if (!control.stopped()) {
        control.fail(e);
      }
    } finally {
      if (!sent) {
        control.sendersDone().countDown();
      }
    }
  }

  private boolean awaitHellosAndRelease() throws IOException {
    SocketChannel channel = port.channel();
    boolean ready = false;
    while (!control.released()) {
      if (control.stopped()) {
        return false;
      }
      inbox.poll(channel);
      if (!ready && hellos == helloSeen.length) {
        ready = true;
        control.sendersReady().countDown();
      }
      port.await(false, 5);
    }
    return !control.stopped();
  }

  private void sendAtMaxRate() throws IOException {
    SocketChannel channel = port.channel();
    long measureStart = control.measureStartNs();
    long end = control.measureEndNs();
    while (!control.stopped()) {
      if (out.hasRemaining()) {
        if (channel.write(out) == 0) {
          if (inbox.poll(channel) > 0) {
            LockSupport.parkNanos(FLOOD_NAP_NS);
          }
          port.await(true, 10);
        }
        continue;
      }
      inbox.poll(channel);
      long now = System.nanoTime();
      if (now - end >= 0) {
        return;
      }
      out.clear();
      for (int i = 0; i < framesPerBatch; i++) {
        stampNext(i, now);
      }
      if (now - measureStart >= 0) {
        sentInWindow += framesPerBatch;
      }
      out.limit(framesPerBatch * slotBytes).position(0);
    }
  }

  /** {@code spinNs}: how long before each send time to stop parking and spin. */
  private void sendPaced(long spinNs) throws IOException {
    SocketChannel channel = port.channel();
    long start = control.sendStartNs();
    long measureStart = control.measureStartNs();
    long end = control.measureEndNs();
    double intervalNs = 1e9 / spec.ratePerSender();
    long k = 0;
    long next = start;
    while (!control.stopped()) {
      if (out.hasRemaining()) {
        if (channel.write(out) == 0) {
          inbox.poll(channel);
          port.await(true, 1);
        }
        continue;
      }
      if (next - end >= 0) {
        return;
      }
      long now = System.nanoTime();
      if (next - now > 0) {
        inbox.poll(channel);
        sleepUntil(next, spinNs);
        continue;
      }
      out.clear();
      int count = 0;
      while (count < framesPerBatch && next - now <= 0 && next - end < 0) {
        stampNext(count++, next);
        if (next - measureStart >= 0) {
          sentInWindow++;
          lateness.recordValue(Math.min(now - next, ReceiverAgent.HIGHEST_LATENCY_NS));
        }
        k++;
        next = start + (long) (k * intervalNs);
      }
      out.limit(count * slotBytes).position(0);
    }
  }

  /** Parks until {@code spinNs} before the deadline, then spins: parking alone wakes late. */
  private static void sleepUntil(long deadlineNs, long spinNs) {
    long remaining = deadlineNs - System.nanoTime();
    if (remaining > spinNs) {
      LockSupport.parkNanos(remaining - spinNs);
      return;
    }
    while (deadlineNs - System.nanoTime() > 0) {
      Thread.onSpinWait();
    }
  }

  /** Paced mode's send lateness of the window's frames; read after the thread ended. */
  Histogram lateness() {
    return lateness;
  }

  private void stampNext(int slot, long timestampNs) {
    int r = nextReceiver;
    TestFrame.stamp(out, slot * slotBytes, receiverMacs[r], sentPerReceiver[r]++, timestampNs);
    nextReceiver = r + 1 == receiverMacs.length ? 0 : r + 1;
  }

  private void drainUntilStopped() throws IOException {
    SocketChannel channel = port.channel();
    while (!control.stopped()) {
      if (inbox.poll(channel) == 0) {
        port.await(false, 10);
      }
    }
  }

  private void onFrame(ByteBuffer buf, int frame, int length, long rxNs) {
    if (TestFrame.destination(buf, frame) == TestFrame.BROADCAST_MAC
        && TestFrame.isKind(buf, frame, length, TestFrame.KIND_HELLO)) {
      int r = TestFrame.portIndex(buf, frame) - firstReceiverPort;
      if (r >= 0 && r < helloSeen.length && !helloSeen[r]) {
        helloSeen[r] = true;
        hellos++;
        return;
      }
    }
    discarded++;
  }

  int index() {
    return index;
  }

  /** Frames sent to each receiver over the whole run; read after the thread ended. */
  long[] sentPerReceiver() {
    return sentPerReceiver.clone();
  }

  long sentInWindow() {
    return sentInWindow;
  }

  /** Frames this port read that were not a first hello: floods, repeated hellos. */
  long discarded() {
    return discarded;
  }

  int hellosHeard() {
    return hellos;
  }
}
