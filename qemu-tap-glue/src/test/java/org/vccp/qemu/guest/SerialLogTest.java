package org.vccp.qemu.guest;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SerialLogTest {

  @TempDir Path dir;

  @Test
  void splitsCleanLinesOutOfWhatQemuAppends() throws IOException {
    Path file = dir.resolve("g1.serial.log");
    SerialLog log = new SerialLog(file);
    assertThat(log.poll()).as("no file yet").isZero();

    append(
        file,
        "\u001Bc\u001B[?7l\u001B[2J\u001B[0mSeaBIOS (version 1.16)\r\nBooting from ROM...\r\n");
    append(file, "\u001Bc\u001B[?7l\u001B[2JVCCP BOOT name=g1\r\nVCCP REA");
    assertThat(log.poll()).isEqualTo(3);
    append(file, "DY name=g1 ip=10.0.0.1/24\r\n");
    assertThat(log.poll()).isEqualTo(1);

    assertThat(log.lines())
        .extracting(SerialLine::text)
        .containsExactly(
            "SeaBIOS (version 1.16)",
            "Booting from ROM...",
            "VCCP BOOT name=g1",
            "VCCP READY name=g1 ip=10.0.0.1/24");
    assertThat(log.lines().get(3).event().orElseThrow().get("ip")).isEqualTo("10.0.0.1/24");
  }

  @Test
  void closingKeepsAnUnterminatedLastLineAndReleasesWaiters() throws Exception {
    Path file = dir.resolve("g1.serial.log");
    SerialLog log = new SerialLog(file);
    append(file, "VCCP COUNTER n=1\nKernel panic - not syncing");
    log.poll();

    CompletableFuture<SerialLine> waiter =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return log.await(
                    line -> line.contains("never"), 0, System.nanoTime() + 60_000_000_000L);
              } catch (InterruptedException e) {
                throw new IllegalStateException(e);
              }
            });
    log.close();

    assertThat(waiter.get(10, TimeUnit.SECONDS)).isNull();
    assertThat(log.lines())
        .extracting(SerialLine::text)
        .containsExactly("VCCP COUNTER n=1", "Kernel panic - not syncing");
  }

  @Test
  void awaitFindsEarlierLinesAtOnceAndGivesUpAtItsDeadline() throws Exception {
    Path file = dir.resolve("g1.serial.log");
    SerialLog log = new SerialLog(file);
    append(file, "VCCP READY name=g1\n");
    log.poll();

    SerialLine ready = log.await(line -> line.startsWith("VCCP READY"), 0, System.nanoTime());
    long start = System.nanoTime();
    SerialLine none = log.await(line -> line.startsWith("VCCP DONE"), 0, start + 50_000_000L);

    assertThat(ready.index()).isZero();
    assertThat(none).isNull();
    assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(50_000_000L);
    assertThat(log.await(line -> line.startsWith("VCCP READY"), 1, System.nanoTime())).isNull();
  }

  private static void append(Path file, String text) throws IOException {
    Files.writeString(
        file, text, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
  }
}
