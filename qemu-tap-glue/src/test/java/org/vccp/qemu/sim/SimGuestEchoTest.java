package org.vccp.qemu.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vccp.qemu.guest.StreamSocket;
import org.vccp.qemu.image.GuestEvent;

/** Two sim-guests in this JVM: udp-seq-send against echo, which answers the hello and the data. */
class SimGuestEchoTest {
  @TempDir Path dir;

  @Test
  void anEchoGuestAnswersEveryDatagramAndTheSenderHandshakesWithIt() throws Exception {
    Path link = dir.resolve("link.sock");
    SimGuestOptions echo =
        SimGuestOptions.builder("echo")
            .qmp(dir.resolve("echo.qmp"))
            .netdev(StreamSocket.unix(link, true))
            .mac("52:54:00:00:00:02")
            .ip("10.0.0.2")
            .workload(SimWorkloadKind.ECHO)
            .reportMs(50)
            .serial(dir.resolve("echo.serial"))
            .build();
    SimGuestOptions send =
        SimGuestOptions.builder("send")
            .qmp(dir.resolve("send.qmp"))
            .netdev(StreamSocket.unix(link, false))
            .mac("52:54:00:00:00:01")
            .ip("10.0.0.1")
            .peer("10.0.0.2")
            .workload(SimWorkloadKind.UDP_SEQ_SEND)
            .rate(1000)
            .count(200)
            .reportMs(50)
            .serial(dir.resolve("send.serial"))
            .build();
    try (SimGuest echoGuest = SimGuest.start(echo);
        SimGuest sendGuest = SimGuest.start(send)) {
      GuestEvent done = awaitEvent(dir.resolve("send.serial"), e -> e.is(GuestEvent.DONE));
      assertThat(done.getLong("sent")).isEqualTo(200);
      // every hello (28 bytes; one more may go out while the first answer is on its way) and all
      // 200 data datagrams (64 bytes) come back
      GuestEvent echoed =
          awaitEvent(
              dir.resolve("echo.serial"),
              e ->
                  e.is("ECHO")
                      && e.getLong("answered") > 200
                      && e.getLong("bytes") == (e.getLong("answered") - 200) * 28 + 200 * 64);
      assertThat(echoed.getLong("answered") - 200).as("hellos answered").isBetween(1L, 3L);
    }
  }

  private static GuestEvent awaitEvent(Path serial, java.util.function.Predicate<GuestEvent> m)
      throws Exception {
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (true) {
      if (Files.exists(serial)) {
        List<String> lines = Files.readAllLines(serial, StandardCharsets.UTF_8);
        for (String line : lines) {
          GuestEvent e = GuestEvent.parse(line).orElse(null);
          if (e != null && m.test(e)) {
            return e;
          }
        }
        if (System.nanoTime() > deadline) {
          throw new AssertionError("no matching report in " + serial + ": " + lines);
        }
      }
      Thread.sleep(20);
    }
  }
}
