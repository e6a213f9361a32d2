package org.vccp.qemu.qmp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.handler.codec.LineBasedFrameDecoder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A client of one QEMU monitor (QMP) over its Unix socket.
 *
 * <p>{@link #connect} reads QEMU's greeting and negotiates capabilities; then {@link #execute}
 * sends commands, each with an {@code id} its answer is matched by and a timeout, and returns a
 * future of the {@code return} member. QEMU's error answers fail the future with a {@link
 * QmpException} carrying QEMU's {@code class} and {@code desc}; a timeout with a {@link
 * QmpTimeoutException}; the end of the connection fails every waiting command at once with a {@link
 * QmpConnectionException}. The blocking helpers ({@link #queryStatus}, {@link #stop}, {@link
 * #migrate}, ...) wait for those futures and throw the same exceptions.
 *
 * <p>Threads: answers complete their futures on the shared QMP I/O thread, so non-async stages
 * attached to them run there and must not block; the blocking helpers refuse to run on that thread.
 * Events go to listeners and {@link #nextEvent} futures on this client's own event thread, in the
 * order QEMU sent them; listeners may call the blocking helpers.
 */
public final class QmpClient implements AutoCloseable {

  /** How long a command may wait for its answer unless told otherwise. */
  public static final Duration DEFAULT_COMMAND_TIMEOUT = Duration.ofSeconds(30);

  /** QEMU's largest answers (query-qmp-schema) are a few hundred KB on one line. */
  static final int MAX_LINE_BYTES = 16 << 20;

  /** The bandwidth cap that means "none": QEMU's default of 128 MiB/s slows saving to a file. */
  public static final long UNLIMITED_BANDWIDTH = 1L << 40;

  private static final Logger LOG = LoggerFactory.getLogger(QmpClient.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

  private final String label;
  private final Path socket;
  private final QmpSession session;
  private final Channel channel;
  private final ExecutorService eventThread;
  private final List<Consumer<QmpEvent>> listeners = new CopyOnWriteArrayList<>();
  private final List<EventWaiter> waiters = new CopyOnWriteArrayList<>();
  private volatile JsonNode greeting;
  private volatile Duration defaultTimeout = DEFAULT_COMMAND_TIMEOUT;

  private record EventWaiter(Predicate<QmpEvent> matcher, CompletableFuture<QmpEvent> future) {}

  private QmpClient(String label, Path socket, QmpSession session, Channel channel) {
    this.label = label;
    this.socket = socket;
    this.session = session;
    this.channel = channel;
    this.eventThread =
        Executors.newSingleThreadExecutor(
            task -> {
              Thread thread = new Thread(task, "vccp-qmp-events-" + label.replace(' ', '-'));
              thread.setDaemon(true);
              return thread;
            });
    session.closed().whenComplete((ok, e) -> onEventThread(this::failWaiters));
  }

  /**
   * Connects to the QMP socket at {@code socket}, waiting up to {@code timeout} for QEMU's greeting
   * and the answer to {@code qmp_capabilities}.
   *
   * @param label names the guest in every message, e.g. {@code guest g1}
   * @throws QmpConnectionException if nothing listens there or QEMU hangs up
   * @throws QmpTimeoutException if the handshake takes longer than {@code timeout}
   */
  public static QmpClient connect(Path socket, String label, Duration timeout) {
    CompletableFuture<QmpClient> connecting = connectAsync(socket, label, timeout);
    try {
      return connecting.get();
    } catch (ExecutionException e) {
      throw rethrow(e.getCause(), "connect");
    } catch (InterruptedException e) {
      connecting.thenAccept(QmpClient::close);
      Thread.currentThread().interrupt();
      throw new QmpConnectionException(
          "connect", label + ": interrupted while connecting to QMP at " + socket, e);
    }
  }

  /** {@link #connect} without blocking; on failure the connection is closed. */
  public static CompletableFuture<QmpClient> connectAsync(
      Path socket, String label, Duration timeout) {
    Objects.requireNonNull(label, "label");
    CompletableFuture<QmpClient> result = new CompletableFuture<>();
    QmpClient[] client = new QmpClient[1];
    QmpSession session =
        new QmpSession(
            label,
            JSON,
            event -> {
              if (client[0] != null) {
                client[0].deliver(event);
              }
            });
    Bootstrap bootstrap =
        new Bootstrap()
            .group(QmpIo.group())
            .channel(EpollDomainSocketChannel.class)
            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.max(1, timeout.toMillis()))
            .handler(
                new ChannelInitializer<EpollDomainSocketChannel>() {
                  @Override
                  protected void initChannel(EpollDomainSocketChannel ch) {
                    ch.pipeline().addLast(new LineBasedFrameDecoder(MAX_LINE_BYTES), session);
                  }
                });
    ChannelFuture connected = bootstrap.connect(new DomainSocketAddress(socket.toFile()));
    connected.addListener(
        f -> {
          if (!f.isSuccess()) {
            result.completeExceptionally(
                new QmpConnectionException(
                    "connect",
                    label + ": cannot connect to QMP socket " + socket + ": " + f.cause(),
                    f.cause()));
            return;
          }
          Channel ch = connected.channel();
          client[0] = new QmpClient(label, socket, session, ch);
          ch.eventLoop()
              .schedule(
                  () -> {
                    if (result.completeExceptionally(
                        new QmpTimeoutException(
                            "connect",
                            label
                                + ": QMP at "
                                + socket
                                + " did not greet and accept capabilities within "
                                + QmpSession.seconds(timeout)))) {
                      client[0].close();
                    }
                  },
                  timeout.toNanos(),
                  TimeUnit.NANOSECONDS);
          session
              .greeting()
              .thenCompose(
                  greeting -> {
                    client[0].greeting = greeting;
                    return session.send("qmp_capabilities", null, timeout);
                  })
              .whenComplete(
                  (ok, e) -> {
                    if (e != null) {
                      if (result.completeExceptionally(unwrap(e))) {
                        client[0].close();
                      }
                    } else if (!result.complete(client[0])) {
                      client[0].close(); // the handshake timed out just before
                    }
                  });
        });
    return result;
  }

  /**
   * Connects, retrying every 20 ms while the socket is missing or refuses, until {@code timeout};
   * for a QEMU that is still creating its monitor. {@code stillWorthIt} is asked before each try,
   * so a caller can give up at once when QEMU has exited.
   */
  public static QmpClient connectWithRetry(
      Path socket, String label, Duration timeout, BooleanSupplier stillWorthIt) {
    long deadline = System.nanoTime() + timeout.toNanos();
    QmpConnectionException last = null;
    while (stillWorthIt.getAsBoolean()) {
      long remaining = deadline - System.nanoTime();
      if (remaining <= 0) {
        throw new QmpTimeoutException(
            "connect",
            label
                + ": QMP at "
                + socket
                + " did not answer within "
                + QmpSession.seconds(timeout)
                + (last == null ? "" : " (last try: " + last.getMessage() + ")"));
      }
      try {
        return connect(socket, label, Duration.ofNanos(remaining));
      } catch (QmpConnectionException e) {
        last = e;
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
      }
    }
    throw new QmpConnectionException(
        "connect",
        label + ": gave up connecting to QMP at " + socket + (last == null ? "" : ": " + last),
        last);
  }

  /** The name used in messages, e.g. {@code guest g1}. */
  public String label() {
    return label;
  }

  public Path socket() {
    return socket;
  }

  /** QEMU's greeting: {@code {"version": {"qemu": {"major": 7, ...}}, "capabilities": [...]}}. */
  public JsonNode greeting() {
    return greeting;
  }

  /** {@code major.minor.micro} of the QEMU on the other end. */
  public String qemuVersion() {
    JsonNode qemu = greeting.path("version").path("qemu");
    return qemu.path("major").asInt()
        + "."
        + qemu.path("minor").asInt()
        + "."
        + qemu.path("micro").asInt();
  }

  public boolean isConnected() {
    return session.isOpen();
  }

  /** Completes once the connection has ended (QEMU exited, or {@link #close}). */
  public CompletableFuture<Void> closeFuture() {
    return session.closed();
  }

  /** Answers that came after their command timed out, and lines that were not QMP messages. */
  public long discardedMessages() {
    return session.discardedMessages();
  }

  /** The timeout of commands that are not given one; 30 s unless changed. */
  public void defaultTimeout(Duration timeout) {
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException(label + ": QMP timeout must be positive, got " + timeout);
    }
    this.defaultTimeout = timeout;
  }

  public Duration defaultTimeout() {
    return defaultTimeout;
  }

  // ---- commands ---------------------------------------------------------------------------

  /** Sends {@code command} without arguments; see {@link #execute(String, JsonNode, Duration)}. */
  public CompletableFuture<JsonNode> execute(String command) {
    return execute(command, null, defaultTimeout);
  }

  public CompletableFuture<JsonNode> execute(String command, JsonNode arguments) {
    return execute(command, arguments, defaultTimeout);
  }

  /**
   * Sends {@code command} with {@code arguments} (an object, or null) and returns a future of its
   * {@code return} member, which fails with {@link QmpException} (QEMU's error), {@link
   * QmpTimeoutException} after {@code timeout}, or {@link QmpConnectionException}.
   */
  public CompletableFuture<JsonNode> execute(String command, JsonNode arguments, Duration timeout) {
    return session.send(command, arguments, timeout);
  }

  /** Runs {@code command} and waits for its answer. */
  public JsonNode call(String command) {
    return call(command, null, defaultTimeout);
  }

  public JsonNode call(String command, JsonNode arguments) {
    return call(command, arguments, defaultTimeout);
  }

  /** Runs {@code command} and waits for its answer, throwing what {@link #execute} fails with. */
  public JsonNode call(String command, JsonNode arguments, Duration timeout) {
    if (channel.eventLoop().inEventLoop()) {
      throw new IllegalStateException(
          label
              + ": blocking QMP call "
              + command
              + " on the QMP I/O thread would deadlock; use execute() with an async stage");
    }
    CompletableFuture<JsonNode> answer = execute(command, arguments, timeout);
    try {
      return answer.get();
    } catch (ExecutionException e) {
      throw rethrow(e.getCause(), command);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new QmpConnectionException(
          command, label + ": interrupted while waiting for QMP " + command, e);
    }
  }

  /** A fresh JSON object for command arguments. */
  public static ObjectNode arguments() {
    return JSON.createObjectNode();
  }

  /** {@code query-status}'s run state: {@code running}, {@code paused}, {@code inmigrate}, ... */
  public String queryStatus() {
    return call("query-status").path("status").asText();
  }

  /** Pauses the guest's CPUs ({@code stop}); QEMU emits {@code STOP}. */
  public void stop() {
    call("stop");
  }

  /** Resumes the guest's CPUs ({@code cont}); QEMU emits {@code RESUME}. */
  public void cont() {
    call("cont");
  }

  /** Asks QEMU to exit ({@code quit}); the connection ends right after the answer. */
  public void quit() {
    call("quit");
  }

  /** Starts an outgoing migration to {@code uri} (see {@link MigrationUri}); returns at once. */
  public void migrate(String uri) {
    call("migrate", arguments().put("uri", uri));
  }

  /**
   * Starts loading a migration stream from {@code uri}; QEMU must run with {@code -incoming defer}.
   */
  public void migrateIncoming(String uri) {
    call("migrate-incoming", arguments().put("uri", uri));
  }

  public MigrationStatus queryMigrate() {
    return MigrationStatus.of(call("query-migrate"));
  }

  /**
   * Polls {@code query-migrate} every 10 ms until the migration completes.
   *
   * @throws QmpException if it fails or is cancelled (with QEMU's {@code error-desc}), or does not
   *     complete within {@code timeout} ({@link QmpTimeoutException})
   */
  public MigrationStatus awaitMigrationCompleted(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      MigrationStatus status = queryMigrate();
      if (status.isCompleted()) {
        return status;
      }
      if (status.hasFailed()) {
        throw new QmpException(
            label,
            "migrate",
            "MigrationFailed",
            "migration "
                + status.status()
                + ": "
                + (status.errorDesc() == null ? "no detail" : status.errorDesc()));
      }
      if (System.nanoTime() - deadline > 0) {
        throw new QmpTimeoutException(
            "migrate",
            label
                + ": migration still "
                + status.status()
                + " after "
                + QmpSession.seconds(timeout)
                + " ("
                + status.transferredBytes()
                + " bytes sent)");
      }
      LockSupport.parkNanos(POLL_NANOS);
    }
  }

  /**
   * Polls {@code query-status} every 10 ms until the run state is no longer {@code state}, and
   * returns the new one (e.g. {@code inmigrate} becomes {@code paused} once a stream is loaded).
   */
  public String awaitStatusOtherThan(String state, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      String status = queryStatus();
      if (!status.equals(state)) {
        return status;
      }
      if (System.nanoTime() - deadline > 0) {
        throw new QmpTimeoutException(
            "query-status", label + ": still " + state + " after " + QmpSession.seconds(timeout));
      }
      LockSupport.parkNanos(POLL_NANOS);
    }
  }

  /** {@code migrate-set-parameters {"max-bandwidth": N}} in bytes per second. */
  public void setMigrationMaxBandwidth(long bytesPerSecond) {
    call("migrate-set-parameters", arguments().put("max-bandwidth", bytesPerSecond));
  }

  /** {@code migrate-set-capabilities} for one capability, e.g. {@code background-snapshot}. */
  public void setCapability(String capability, boolean state) {
    ObjectNode args = arguments();
    args.putArray("capabilities").addObject().put("capability", capability).put("state", state);
    call("migrate-set-capabilities", args);
  }

  /**
   * Saves the guest's whole state to {@code uri}: lifts the bandwidth cap, migrates, and waits
   * until QEMU reports the stream complete (for {@code exec:cat > FILE}, the file is then whole).
   * Stop the guest first, unless the {@code background-snapshot} capability is on.
   */
  public MigrationStatus saveState(String uri, Duration timeout) {
    setMigrationMaxBandwidth(UNLIMITED_BANDWIDTH);
    migrate(uri);
    return awaitMigrationCompleted(timeout);
  }

  /**
   * Loads a saved state from {@code uri} into a QEMU started with {@code -incoming defer}, and
   * waits until it leaves {@code inmigrate}; returns the new run state ({@code paused} when it
   * worked).
   */
  public String loadState(String uri, Duration timeout) {
    migrateIncoming(uri);
    String status = awaitStatusOtherThan("inmigrate", timeout);
    MigrationStatus migration = queryMigrate();
    if (migration.hasFailed()) {
      throw new QmpException(
          label,
          "migrate-incoming",
          "MigrationFailed",
          "loading " + uri + " failed: " + migration.errorDesc());
    }
    return status;
  }

  // ---- events -----------------------------------------------------------------------------

  /** Calls {@code listener} with every event, on this client's event thread, in order. */
  public void addEventListener(Consumer<QmpEvent> listener) {
    listeners.add(Objects.requireNonNull(listener));
  }

  public void removeEventListener(Consumer<QmpEvent> listener) {
    listeners.remove(listener);
  }

  /**
   * A future of the next event named {@code name}; ask before the command that causes it. Fails
   * with {@link QmpConnectionException} if the connection ends first.
   */
  public CompletableFuture<QmpEvent> nextEvent(String name) {
    return nextEvent(event -> event.is(name));
  }

  /** A future of the next event {@code matcher} accepts. */
  public CompletableFuture<QmpEvent> nextEvent(Predicate<QmpEvent> matcher) {
    CompletableFuture<QmpEvent> future = new CompletableFuture<>();
    waiters.add(new EventWaiter(matcher, future));
    if (session.closed().isDone()) {
      onEventThread(this::failWaiters);
    }
    return future;
  }

  /** {@link #nextEvent(String)}, waited for up to {@code timeout}. */
  public QmpEvent awaitEvent(CompletableFuture<QmpEvent> event, String what, Duration timeout) {
    try {
      return event.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      throw new QmpTimeoutException(
          what, label + ": no QMP event " + what + " within " + QmpSession.seconds(timeout));
    } catch (ExecutionException e) {
      throw rethrow(e.getCause(), what);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new QmpConnectionException(what, label + ": interrupted waiting for " + what, e);
    }
  }

  private void deliver(QmpEvent event) {
    onEventThread(
        () -> {
          LOG.debug("{}: QMP event {} {}", label, event.name(), event.data());
          for (Consumer<QmpEvent> listener : listeners) {
            try {
              listener.accept(event);
            } catch (RuntimeException e) {
              LOG.warn(
                  "{}: QMP event listener failed on {}: {}", label, event.name(), e.toString());
            }
          }
          for (EventWaiter waiter : waiters) {
            if (waiter.matcher().test(event) && waiter.future().complete(event)) {
              waiters.remove(waiter);
            }
          }
        });
  }

  private void failWaiters() {
    for (EventWaiter waiter : waiters) {
      waiter
          .future()
          .completeExceptionally(
              new QmpConnectionException(
                  "event", label + ": QMP connection ended before the awaited event", null));
      waiters.remove(waiter);
    }
  }

  /** Closes the connection; pending commands and event waits fail at once. Idempotent. */
  @Override
  public void close() {
    session.close();
    session.closed().orTimeout(5, TimeUnit.SECONDS).exceptionally(e -> null).join();
    onEventThread(this::failWaiters);
    eventThread.shutdown();
  }

  /** Runs {@code task} on the event thread, or here once that thread has been shut down. */
  private void onEventThread(Runnable task) {
    try {
      eventThread.execute(task);
    } catch (RejectedExecutionException e) {
      task.run();
    }
  }

  @Override
  public String toString() {
    return "QmpClient[" + label + " " + socket + (isConnected() ? "" : " closed") + "]";
  }

  private static Throwable unwrap(Throwable e) {
    while (e instanceof CompletionException && e.getCause() != null) {
      e = e.getCause();
    }
    return e;
  }

  private static RuntimeException rethrow(Throwable cause, String command) {
    Throwable e = unwrap(cause);
    if (e instanceof RuntimeException runtime) {
      return runtime;
    }
    return new QmpConnectionException(command, String.valueOf(e), e);
  }
}
