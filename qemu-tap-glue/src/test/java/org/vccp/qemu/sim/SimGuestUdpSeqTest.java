package org.vccp.qemu.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vccp.qemu.guest.StreamSocket;
import org.vccp.qemu.image.GuestEvent;

/**
 * Two sim-guest processes joined directly by one stream socket (receiver {@code server=on}, sender
 * {@code server=off}), running udp-seq: clean delivery, a checkpoint and restore that continues the
 * sequence, and a corrupt image refused on load.
 */
class SimGuestUdpSeqTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final int RATE = 500;

  @TempDir Path dir;

  private SimGuestOptions receiver(String serial, long count) {
    return SimGuestOptions.builder("recv")
        .qmp(dir.resolve("recv.qmp"))
        .netdev(StreamSocket.unix(dir.resolve("link.sock"), true))
        .mac("52:54:00:00:00:02")
        .ip("10.0.0.2")
        .workload(SimWorkloadKind.UDP_SEQ_RECV)
        .count(count)
        .reportMs(100)
        .serial(dir.resolve(serial))
        .build();
  }

  private SimGuestOptions sender(String serial, long count) {
    return SimGuestOptions.builder("send")
        .qmp(dir.resolve("send.qmp"))
        .netdev(StreamSocket.unix(dir.resolve("link.sock"), false))
        .mac("52:54:00:00:00:01")
        .ip("10.0.0.1")
        .peer("10.0.0.2")
        .workload(SimWorkloadKind.UDP_SEQ_SEND)
        .rate(RATE)
        .count(count)
        .reportMs(100)
        .serial(dir.resolve(serial))
        .build();
  }

  private static boolean recvReport(GuestEvent e) {
    return e.is("UDPSEQ") && "recv".equals(e.get("role"));
  }

  @Test
  void fiveHundredPerSecondArriveWithoutGapsDuplicatesOrReorders() throws Exception {
    try (SimGuestProcess recv =
            SimGuestProcess.start(receiver("recv.serial", 1000), dir.resolve("recv.log"));
        SimGuestProcess send =
            SimGuestProcess.start(sender("send.serial", 1000), dir.resolve("send.log"))) {
      GuestEvent done = recv.awaitEvent(e -> e.is(GuestEvent.DONE), WAIT.plusSeconds(30));
      assertThat(done.getLong("received")).isEqualTo(1000);
      assertThat(done.getLong("gaps")).isZero();
      assertThat(done.getLong("dups")).isZero();
      assertThat(done.getLong("reorders")).isZero();
      assertThat(done.getLong("fail")).isZero();
      GuestEvent sent = send.awaitEvent(e -> e.is(GuestEvent.DONE), WAIT);
      assertThat(sent.get("workload")).isEqualTo("udp-seq-send");
      assertThat(sent.getLong("sent")).isEqualTo(1000);
      assertThat(sent.getLong("errors")).isZero();
      assertThat(send.events()).anyMatch(e -> e.is("UDPSEQ") && e.get("waited_ms") != null);
    }
  }

  @Test
  void checkpointKillAndRestoreContinuesTheSequenceWithoutGaps() throws Exception {
    Path sendImage = dir.resolve("send.img");
    Path recvImage = dir.resolve("recv.img");
    long expectedLast;
    try (SimGuestProcess recv =
            SimGuestProcess.start(receiver("recv.serial", 0), dir.resolve("recv.log"));
        SimGuestProcess send =
            SimGuestProcess.start(sender("send.serial", 0), dir.resolve("send.log"));
        QmpTestClient recvQmp = QmpTestClient.ready(recv.options().qmpSocket());
        QmpTestClient sendQmp = QmpTestClient.ready(send.options().qmpSocket())) {
      recv.awaitEvent(e -> recvReport(e) && e.getLong("last") >= 300, WAIT);

      // A clean cut by hand: the sender first, then the receiver once it has everything sent.
      sendQmp.ok("stop");
      sendQmp.ok("migrate", "{\"uri\":\"exec:cat > " + sendImage + "\"}");
      assertThat(
              sendQmp
                  .awaitMigration(s -> s.equals("completed") || s.equals("failed"))
                  .get("status")
                  .asText())
          .isEqualTo("completed");
      SimImage sendSaved = SimImage.read(sendImage);
      long nextSeq = sendSaved.counter("next_seq");
      expectedLast = nextSeq - 1 - sendSaved.counter("tx_ring_frames");
      recv.awaitEvent(e -> recvReport(e) && e.getLong("last") >= expectedLast, WAIT);
      recvQmp.ok("stop");
      recvQmp.ok("migrate", "{\"uri\":\"exec:cat > " + recvImage + "\"}");
      assertThat(
              recvQmp
                  .awaitMigration(s -> s.equals("completed") || s.equals("failed"))
                  .get("status")
                  .asText())
          .isEqualTo("completed");
      SimImage recvSaved = SimImage.read(recvImage);
      assertThat(recvSaved.counter("last")).isEqualTo(expectedLast);
      assertThat(recvSaved.counter("gaps")).isZero();

      recv.kill();
      send.kill();
    }

    try (SimGuestProcess recv =
            SimGuestProcess.start(
                receiver("recv2.serial", 0).forRestore(dir.resolve("recv2.serial")),
                dir.resolve("recv2.log"));
        SimGuestProcess send =
            SimGuestProcess.start(
                sender("send2.serial", 0).forRestore(dir.resolve("send2.serial")),
                dir.resolve("send2.log"));
        QmpTestClient recvQmp = QmpTestClient.ready(recv.options().qmpSocket());
        QmpTestClient sendQmp = QmpTestClient.ready(send.options().qmpSocket())) {
      assertThat(recvQmp.status()).isEqualTo("inmigrate");
      recvQmp.ok("migrate-incoming", "{\"uri\":\"exec:cat " + recvImage + "\"}");
      sendQmp.ok("migrate-incoming", "{\"uri\":\"exec:cat " + sendImage + "\"}");
      recvQmp.awaitStatus("paused");
      sendQmp.awaitStatus("paused");
      assertThat(recvQmp.ok("query-migrate").get("status").asText()).isEqualTo("completed");
      recvQmp.ok("cont");
      sendQmp.ok("cont");
      recvQmp.takeEvent("RESUME");

      long target = expectedLast + RATE;
      GuestEvent later = recv.awaitEvent(e -> recvReport(e) && e.getLong("last") >= target, WAIT);
      assertThat(later.getLong("gaps")).isZero();
      assertThat(later.getLong("dups")).isZero();
      assertThat(later.getLong("reorders")).isZero();
      assertThat(later.getLong("received")).isEqualTo(later.getLong("last"));
      // Nothing was re-announced: a restored guest does not boot again.
      assertThat(recv.events()).noneMatch(e -> e.is(GuestEvent.READY));
    }
  }

  @Test
  void theNaiveCheckpointLosesWhatWasInFlightWhenTheReceiverStopsFirst() throws Exception {
    Path sendImage = dir.resolve("send.img");
    Path recvImage = dir.resolve("recv.img");
    long recvLast;
    long sentBeforeCut;
    try (SimGuestProcess recv =
            SimGuestProcess.start(receiver("recv.serial", 0), dir.resolve("recv.log"));
        SimGuestProcess send =
            SimGuestProcess.start(sender("send.serial", 0), dir.resolve("send.log"));
        QmpTestClient recvQmp = QmpTestClient.ready(recv.options().qmpSocket());
        QmpTestClient sendQmp = QmpTestClient.ready(send.options().qmpSocket())) {
      recv.awaitEvent(e -> recvReport(e) && e.getLong("last") >= 100, WAIT);

      // Naive order, wrong way round: the receiver stops and is saved while the sender runs on.
      recvQmp.ok("stop");
      recvQmp.ok("migrate", "{\"uri\":\"exec:cat > " + recvImage + "\"}");
      recvQmp.awaitMigration(s -> s.equals("completed"));
      recvLast = SimImage.read(recvImage).counter("last");
      send.awaitEvent(
          e -> e.is("UDPSEQ") && "send".equals(e.get("role")) && e.getLong("sent") > recvLast + 20,
          WAIT);
      sendQmp.ok("stop");
      sendQmp.ok("migrate", "{\"uri\":\"exec:cat > " + sendImage + "\"}");
      sendQmp.awaitMigration(s -> s.equals("completed"));
      SimImage sendSaved = SimImage.read(sendImage);
      sentBeforeCut = sendSaved.counter("next_seq") - 1 - sendSaved.counter("tx_ring_frames");
      recv.kill();
      send.kill();
    }

    try (SimGuestProcess recv =
            SimGuestProcess.start(
                receiver("recv2.serial", 0).forRestore(dir.resolve("recv2.serial")),
                dir.resolve("recv2.log"));
        SimGuestProcess send =
            SimGuestProcess.start(
                sender("send2.serial", 0).forRestore(dir.resolve("send2.serial")),
                dir.resolve("send2.log"));
        QmpTestClient recvQmp = QmpTestClient.ready(recv.options().qmpSocket());
        QmpTestClient sendQmp = QmpTestClient.ready(send.options().qmpSocket())) {
      recvQmp.ok("migrate-incoming", "{\"uri\":\"exec:cat " + recvImage + "\"}");
      sendQmp.ok("migrate-incoming", "{\"uri\":\"exec:cat " + sendImage + "\"}");
      recvQmp.awaitStatus("paused");
      sendQmp.awaitStatus("paused");
      recvQmp.ok("cont");
      sendQmp.ok("cont");
      long target = sentBeforeCut + 100;
      GuestEvent later = recv.awaitEvent(e -> recvReport(e) && e.getLong("last") >= target, WAIT);
      // Exactly the frames that had left the sender but not reached the receiver's image.
      assertThat(later.getLong("gaps")).isEqualTo(sentBeforeCut - recvLast).isGreaterThan(20);
      assertThat(later.getLong("dups")).isZero();
    }
  }

  @Test
  void aCorruptImageIsRefusedAndTheGuestExitsLikeQemu() throws Exception {
    Path image = dir.resolve("recv.img");
    try (SimGuestProcess recv =
            SimGuestProcess.start(receiver("recv.serial", 0), dir.resolve("recv.log"));
        QmpTestClient qmp = QmpTestClient.ready(recv.options().qmpSocket())) {
      qmp.ok("stop");
      qmp.ok("migrate", "{\"uri\":\"exec:cat > " + image + "\"}");
      qmp.awaitMigration(s -> s.equals("completed"));
    }
    byte[] bytes = Files.readAllBytes(image);
    bytes[bytes.length / 2] ^= 0x10;
    Files.write(image, bytes);

    try (SimGuestProcess recv =
            SimGuestProcess.start(
                receiver("recv2.serial", 0).forRestore(dir.resolve("recv2.serial")),
                dir.resolve("recv2.log"));
        QmpTestClient qmp = QmpTestClient.ready(recv.options().qmpSocket())) {
      qmp.ok(
          "migrate-set-capabilities",
          "{\"capabilities\":[{\"capability\":\"events\",\"state\":true}]}");
      qmp.ok("migrate-incoming", "{\"uri\":\"exec:cat " + image + "\"}");
      assertThat(recv.awaitExit(WAIT)).isEqualTo(1);
      assertThat(recv.logTail()).contains("load of migration failed").contains("CRC-32C");
    }
  }
}
