package org.vccp.perf.loadgen;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Drives one run: connects a client to every port socket, runs one thread per port through the
 * phases of {@link RunControl}, waits for in-flight frames, and returns a {@link LoadResult}.
 *
 * <p>Socket {@code i} of the list given to {@link #run} belongs to port {@code i}: the senders
 * first, then the receivers. The generator is always the client side ({@code server=off} in QEMU
 * terms); the peer under test listens.
 */
public final class LoadGenerator {
  /** How long to keep retrying a socket that is missing or refuses connections. */
  public static final long CONNECT_TIMEOUT_MS = 10_000;

  /** How long every sender may wait for every receiver's hello to come through the peer. */
  public static final long HELLO_TIMEOUT_MS = 10_000;

  private static final long JOIN_TIMEOUT_MS = 5_000;
  private static final long POLL_NS = 5_000_000L;

  private final LoadSpec spec;

  public LoadGenerator(LoadSpec spec) {
    this.spec = spec.validate();
  }

  /** Runs the spec against the peer listening on {@code portSockets} and blocks until done. */
  public LoadResult run(List<Path> portSockets) throws IOException, InterruptedException {
    if (portSockets.size() != spec.ports()) {
      throw new IllegalArgumentException(
          spec.label()
              + " needs "
              + spec.ports()
              + " port sockets (senders then receivers), got "
              + portSockets.size());
    }
    List<PortConnection> ports = new ArrayList<>();
    try {
      for (int i = 0; i < portSockets.size(); i++) {
        ports.add(PortConnection.connect(portName(i), portSockets.get(i), CONNECT_TIMEOUT_MS));
      }
      return runConnected(ports);
    } finally {
      for (PortConnection port : ports) {
        port.close();
      }
    }
  }

  private LoadResult runConnected(List<PortConnection> ports)
      throws IOException, InterruptedException {
    RunControl control = new RunControl(spec.senders());
    List<SenderAgent> senders = new ArrayList<>();
    List<ReceiverAgent> receivers = new ArrayList<>();
    List<Thread> threads = new ArrayList<>();
    for (int r = 0; r < spec.receivers(); r++) {
      ReceiverAgent agent = new ReceiverAgent(r, spec, ports.get(spec.senders() + r), control);
      receivers.add(agent);
      threads.add(new Thread(agent, "loadgen-receiver-" + r));
    }
    for (int s = 0; s < spec.senders(); s++) {
      SenderAgent agent = new SenderAgent(s, spec, ports.get(s), control);
      senders.add(agent);
      threads.add(new Thread(agent, "loadgen-sender-" + s));
    }
    for (Thread t : threads) {
      t.setDaemon(true);
      t.setUncaughtExceptionHandler((thread, e) -> control.fail(e));
      t.start();
    }
    try {
      awaitHellos(control, senders);
      control.release(
          System.nanoTime(),
          TimeUnit.MILLISECONDS.toNanos(spec.warmupMs()),
          TimeUnit.MILLISECONDS.toNanos(spec.durationMs()));
      long runEndNs = control.measureEndNs();
      long drainDeadline = runEndNs + TimeUnit.MILLISECONDS.toNanos(spec.drainMaxMs());
      control
          .sendersDone()
          .await(Math.max(0, drainDeadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      drain(control, senders, receivers, drainDeadline);
    } finally {
      control.stop();
      for (PortConnection port : ports) {
        port.wakeReader();
      }
      for (Thread t : threads) {
        t.join(JOIN_TIMEOUT_MS);
        if (t.isAlive()) {
          control.fail(new IOException(t.getName() + " did not stop within 5 s"));
        }
      }
    }
    Throwable failure = control.failure();
    if (failure != null) {
      throw failure instanceof IOException io
          ? new IOException(spec.label() + ": " + io.getMessage(), io)
          : new IOException(spec.label() + ": port agent failed: " + failure, failure);
    }
    return ResultCollector.collect(spec, senders, receivers);
  }

  private void awaitHellos(RunControl control, List<SenderAgent> senders)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(HELLO_TIMEOUT_MS);
    while (!control.sendersReady().await(POLL_NS, TimeUnit.NANOSECONDS)) {
      if (control.stopped()) {
        return;
      }
      if (System.nanoTime() - deadline > 0) {
        StringBuilder heard = new StringBuilder();
        for (SenderAgent s : senders) {
          heard.append(heard.length() == 0 ? "" : ", ");
          heard.append(portName(s.index())).append(" heard ").append(s.hellosHeard());
        }
        throw new IOException(
            "the peer did not deliver every receiver's broadcast hello to every sender within "
                + HELLO_TIMEOUT_MS
                + " ms ("
                + heard
                + " of "
                + spec.receivers()
                + "); check that it forwards broadcast frames between all ports");
      }
    }
  }

  /**
   * Ends when every frame sent has arrived, when nothing arrived for the quiet time, or at the
   * deadline, whichever comes first; frames still missing then count as lost.
   */
  private void drain(
      RunControl control,
      List<SenderAgent> senders,
      List<ReceiverAgent> receivers,
      long deadlineNs) {
    long sent = 0;
    for (SenderAgent s : senders) {
      for (long n : s.sentPerReceiver()) {
        sent += n;
      }
    }
    long quietNs = TimeUnit.MILLISECONDS.toNanos(spec.drainQuietMs());
    long sendersDoneNs = System.nanoTime();
    while (!control.stopped()) {
      long now = System.nanoTime();
      long received = 0;
      long lastRx = sendersDoneNs;
      for (ReceiverAgent r : receivers) {
        received += r.uniqueReceived();
        lastRx = Math.max(lastRx, r.lastRxNs());
      }
      if (received >= sent || now - lastRx >= quietNs || now - deadlineNs >= 0) {
        return;
      }
      LockSupport.parkNanos(POLL_NS);
    }
  }

  /** {@code s0}.. for senders, {@code r0}.. for receivers, as they appear in messages. */
  String portName(int port) {
    return port < spec.senders() ? "sender s" + port : "receiver r" + (port - spec.senders());
  }
}
