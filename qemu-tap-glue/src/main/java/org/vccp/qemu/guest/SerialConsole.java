package org.vccp.qemu.guest;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.vccp.qemu.image.GuestEvent;

/**
 * A guest's serial output as lines and VCCP reports: a {@link SerialLog} tailed every 10 ms by a
 * shared daemon thread, so every {@link SerialLine} carries the time it appeared, with waits on a
 * deadline. One for each guest process, whether QEMU ({@link QemuGuest}) or a simulated guest; the
 * owner {@link #close}s it when the process ends, which wakes every waiter with an error built from
 * the owner's description of how the process ended and its diagnostics.
 */
public final class SerialConsole implements AutoCloseable {
  private static final long TAIL_PERIOD_MS = 10;
  private static final ScheduledExecutorService TAILER =
      Executors.newSingleThreadScheduledExecutor(
          task -> {
            Thread thread = new Thread(task, "vccp-serial-tail");
            thread.setDaemon(true);
            return thread;
          });

  private final String label;
  private final SerialLog log;
  private final ScheduledFuture<?> tail;
  private final Supplier<String> ending;
  private final Supplier<String> diagnostics;

  /**
   * Starts following {@code file} (it may not exist yet).
   *
   * @param label who writes it, for messages: {@code guest g1}
   * @param ending how the process ended, for a wait cut short: {@code QEMU exited with code 1}
   * @param diagnostics appended to every failed wait: {@code "; last serial lines: [...]"}
   */
  public SerialConsole(
      Path file, String label, Supplier<String> ending, Supplier<String> diagnostics) {
    this.label = label;
    this.log = new SerialLog(file);
    this.ending = ending;
    this.diagnostics = diagnostics;
    this.tail = TAILER.scheduleWithFixedDelay(log::poll, 0, TAIL_PERIOD_MS, TimeUnit.MILLISECONDS);
  }

  /** Every cleaned line so far. */
  public List<SerialLine> lines() {
    log.poll();
    return log.lines();
  }

  /** The text of every cleaned line so far. */
  public List<String> texts() {
    return lines().stream().map(SerialLine::text).collect(Collectors.toList());
  }

  /** Every VCCP report so far, in order. */
  public List<GuestEvent> events() {
    return lines().stream()
        .map(SerialLine::event)
        .flatMap(Optional::stream)
        .collect(Collectors.toList());
  }

  /** The first line at {@code fromIndex} or later for which {@code matcher} is true. */
  public SerialLine awaitLine(Predicate<String> matcher, int fromIndex, Duration timeout) {
    return await(matcher, fromIndex, timeout, "matching the condition");
  }

  /** The first line in which {@code pattern} is found. */
  public SerialLine awaitLine(Pattern pattern, Duration timeout) {
    return await(line -> pattern.matcher(line).find(), 0, timeout, "matching /" + pattern + "/");
  }

  /** The first {@code VCCP <event>} report, e.g. {@code awaitEvent(GuestEvent.READY, ...)}. */
  public GuestEvent awaitEvent(String event, Duration timeout) {
    return awaitEvent(e -> e.is(event), timeout, "saying VCCP " + event);
  }

  /** The first VCCP report for which {@code matcher} is true. */
  public GuestEvent awaitEvent(Predicate<GuestEvent> matcher, Duration timeout) {
    return awaitEvent(matcher, timeout, "with a VCCP event matching the condition");
  }

  private GuestEvent awaitEvent(Predicate<GuestEvent> matcher, Duration timeout, String what) {
    SerialLine line =
        await(text -> GuestEvent.parse(text).filter(matcher).isPresent(), 0, timeout, what);
    return line.event().orElseThrow();
  }

  /**
   * The first matching line, waiting up to {@code timeout}.
   *
   * @throws QemuGuestException if the console is closed (the process ended) or the timeout passes
   *     first, naming the guest and what was awaited
   */
  private SerialLine await(
      Predicate<String> matcher, int fromIndex, Duration timeout, String what) {
    long deadline = System.nanoTime() + timeout.toNanos();
    log.poll();
    SerialLine line;
    try {
      line = log.await(matcher, fromIndex, deadline);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new QemuGuestException(label + ": interrupted waiting for a line " + what);
    }
    if (line != null) {
      return line;
    }
    if (log.isClosed()) {
      throw new QemuGuestException(
          label + ": " + ending.get() + " before a serial line " + what + diagnostics.get());
    }
    throw new QemuGuestException(
        label
            + ": no serial line "
            + what
            + " within "
            + String.format(Locale.ROOT, "%.1f s", timeout.toMillis() / 1000.0)
            + diagnostics.get());
  }

  /** Whether the console was closed (its process ended). */
  public boolean isClosed() {
    return log.isClosed();
  }

  /** A last read, then no more: waiters are woken and fail. */
  @Override
  public void close() {
    tail.cancel(false);
    log.close();
  }
}
