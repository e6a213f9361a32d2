package org.vccp.qemu.qmp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vccp.qemu.guest.GuestSpec;
import org.vccp.qemu.guest.QemuCommandLine;
import org.vccp.qemu.guest.QemuGuest;
import org.vccp.qemu.image.GuestImage;
import org.vccp.qemu.image.GuestImageKit;
import org.vccp.qemu.image.GuestParams;

/**
 * The QMP client against real QEMU 7.2 processes, launched once for the class: {@code q1} answers
 * queries, stops and continues, refuses an unknown command and is frozen with SIGSTOP to make a
 * command time out; {@code q2} is frozen and then killed while a command waits. The guests need not
 * finish booting: QMP answers from the moment {@link QemuGuest#start} returns.
 */
@Tag("qemu")
class QmpAgainstQemuTest {

  private static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir static Path dir;

  private static QemuGuest q1;
  private static QemuGuest q2;

  @BeforeAll
  static void launch() {
    Assumptions.assumeTrue(
        QemuCommandLine.qemuAvailable(),
        "qemu-system-x86_64 is not on the PATH: install qemu-system-x86 to run real-guest tests");
    GuestImage image = new GuestImageKit().build();
    q1 = QemuGuest.start(spec(image, "q1"));
    q2 = QemuGuest.start(spec(image, "q2"));
  }

  @AfterAll
  static void stopAll() {
    for (QemuGuest guest : new QemuGuest[] {q1, q2}) {
      if (guest != null) {
        guest.close();
      }
    }
  }

  @Test
  void greetsAsQemu7AndReportsTheRunState() {
    QmpClient qmp = q1.qmp();

    assertThat(qmp.isConnected()).isTrue();
    assertThat(qmp.qemuVersion()).startsWith("7.");
    assertThat(qmp.queryStatus()).isEqualTo("running");
    JsonNode status = qmp.call("query-status");
    assertThat(status.path("running").asBoolean()).isTrue();
  }

  @Test
  void stopAndContAreConfirmedByStopAndResumeEvents() {
    QmpClient qmp = q1.qmp();
    CompletableFuture<QmpEvent> stopped = qmp.nextEvent(QmpEvent.STOP);

    qmp.stop();
    QmpEvent stop = qmp.awaitEvent(stopped, QmpEvent.STOP, WAIT);
    assertThat(qmp.queryStatus()).isEqualTo("paused");

    CompletableFuture<QmpEvent> resumed = qmp.nextEvent(QmpEvent.RESUME);
    qmp.cont();
    QmpEvent resume = qmp.awaitEvent(resumed, QmpEvent.RESUME, WAIT);

    assertThat(qmp.queryStatus()).isEqualTo("running");
    assertThat(resume.timestampMicros()).isGreaterThanOrEqualTo(stop.timestampMicros());
    assertThat(stop.timestampMicros() / 1_000_000)
        .isCloseTo(System.currentTimeMillis() / 1000, org.assertj.core.data.Offset.offset(120L));
  }

  @Test
  void anUnknownCommandFailsWithQemusCommandNotFound() {
    assertThatThrownBy(() -> q1.qmp().call("vccp-no-such-command"))
        .isInstanceOf(QmpException.class)
        .satisfies(
            e -> {
              QmpException qmp = (QmpException) e;
              assertThat(qmp.errorClass()).isEqualTo("CommandNotFound");
              assertThat(qmp.desc()).contains("vccp-no-such-command");
            })
        .hasMessageStartingWith("guest q1: QMP vccp-no-such-command failed: CommandNotFound");
    assertThatThrownBy(() -> q1.qmp().migrate("bogus:nowhere"))
        .isInstanceOf(QmpException.class)
        .extracting(e -> ((QmpException) e).errorClass())
        .isEqualTo("GenericError");
    assertThat(q1.qmp().queryStatus()).isEqualTo("running");
  }

  @Test
  void aFrozenQemuTimesOutOneCommandAndAnswersTheNextOnceThawed() throws Exception {
    QmpClient qmp = q1.qmp();
    long discardedBefore = qmp.discardedMessages();
    signal(q1, "STOP");
    CompletableFuture<JsonNode> frozen;
    try {
      frozen = qmp.execute("query-status", null, Duration.ofMillis(300));
      assertThatThrownBy(() -> frozen.get(30, TimeUnit.SECONDS))
          .cause()
          .isInstanceOf(QmpTimeoutException.class)
          .hasMessageContaining("guest q1: QMP query-status got no answer within 0.300 s");
    } finally {
      signal(q1, "CONT");
    }

    assertThat(qmp.queryStatus()).isEqualTo("running");
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (qmp.discardedMessages() == discardedBefore && System.nanoTime() < deadline) {
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
    }
    assertThat(qmp.discardedMessages())
        .as("the late answer was dropped")
        .isEqualTo(discardedBefore + 1);
  }

  @Test
  void killingQemuMidCommandFailsThePendingCommandPromptly() throws Exception {
    QmpClient qmp = q2.qmp();
    signal(q2, "STOP");
    CompletableFuture<JsonNode> pending = qmp.execute("query-status", null, Duration.ofMinutes(5));
    CompletableFuture<QmpEvent> never = qmp.nextEvent(QmpEvent.RESUME);
    assertThat(pending).isNotDone();

    long killedNanos = System.nanoTime();
    q2.kill();

    assertThatThrownBy(() -> pending.get(30, TimeUnit.SECONDS))
        .cause()
        .isInstanceOf(QmpConnectionException.class)
        // lost while waiting, or (the write still queued when the socket died) cannot send
        .hasMessageContaining("guest q2")
        .hasMessageContaining("query-status");
    Duration failedAfter = Duration.ofNanos(System.nanoTime() - killedNanos);
    assertThat(failedAfter).isLessThan(Duration.ofSeconds(2));
    // event waits fail on the client's event thread, just after the pending command
    assertThatThrownBy(() -> never.get(5, TimeUnit.SECONDS))
        .cause()
        .isInstanceOf(QmpConnectionException.class);
    assertThat(qmp.isConnected()).isFalse();
    System.out.printf("QMP command failed %d ms after SIGKILL%n", failedAfter.toMillis());
  }

  private static GuestSpec spec(GuestImage image, String name) {
    return GuestSpec.builder(name)
        .image(image)
        .params(GuestParams.builder(name).build())
        .runDir(dir)
        .build();
  }

  /** Sends SIGSTOP or SIGCONT to this test's own QEMU process. */
  private static void signal(QemuGuest guest, String signal)
      throws IOException, InterruptedException {
    Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(guest.pid())).start();
    assertThat(kill.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(kill.exitValue()).as("kill -%s %d", signal, guest.pid()).isZero();
  }
}
