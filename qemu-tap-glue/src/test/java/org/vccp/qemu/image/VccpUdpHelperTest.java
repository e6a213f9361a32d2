package org.vccp.qemu.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The guest's {@code vccp-udp} helper, compiled for and run on the host: the udp-seq receiver's
 * counting of gaps, duplicates and reorders on hand-made datagrams, and a sender-receiver run over
 * loopback. Guests run the same source.
 */
class VccpUdpHelperTest {

  private static final byte[] MAGIC = "VCCPSEQ1".getBytes(StandardCharsets.US_ASCII);

  @TempDir static Path dir;

  private static Path helper;

  @BeforeAll
  static void compile() throws Exception {
    Path source = dir.resolve("vccp-udp.c");
    try (var in = GuestImageKit.class.getResourceAsStream("vccp-udp.c")) {
      Files.write(source, in.readAllBytes());
    }
    helper = dir.resolve("vccp-udp");
    Process gcc;
    try {
      gcc =
          new ProcessBuilder(
                  "gcc", "-O2", "-Wall", "-Werror", "-o", helper.toString(), source.toString())
              .redirectErrorStream(true)
              .start();
    } catch (IOException e) {
      Assumptions.abort("no gcc on this host to build vccp-udp: " + e.getMessage());
      return;
    }
    String output = new String(gcc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(gcc.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(gcc.exitValue()).as("gcc says: %s", output).isZero();
  }

  @Test
  void theReceiverCountsGapsDuplicatesAndReordersOfItsOwnFlow() throws Exception {
    int port = freeUdpPort();
    Path receiver = startReceiver("r1.out", port, 6, 9);
    assertThat(Files.readAllLines(receiver))
        .containsExactly(
            "VCCP UDPSEQ role=recv port="
                + port
                + " flow=9 received=0 gaps=0 dups=0 reorders=0 last=0");

    try (DatagramSocket socket = new DatagramSocket()) {
      for (long seq : new long[] {1, 2, 4, 3, 3, 6}) {
        send(socket, port, 9, seq);
      }
      send(socket, port, 8, 5); // another flow: not counted
    }

    assertThat(awaitDone(receiver))
        .startsWith(
            "VCCP DONE workload=udp-seq-recv ok=5 fail=1 expected=6 flow=9 received=6 gaps=1"
                + " dups=1 reorders=1 last=6 udp_rcvbuf_errors=");
  }

  @Test
  void aSenderAndReceiverOverLoopbackSeeEveryDatagramOnceInOrder() throws Exception {
    int port = freeUdpPort();
    Path receiver = startReceiver("r2.out", port, 500, 3);

    Process sender = start("seq-send", "127.0.0.1", port, 1000, 500, 3, 200, 5);
    List<String> sent =
        new String(sender.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
    assertThat(sender.waitFor(30, TimeUnit.SECONDS)).isTrue();

    assertThat(sent).first().asString().startsWith("VCCP UDPSEQ role=send flow=3 sent=0 errors=0");
    assertThat(sent)
        .last()
        .asString()
        .startsWith(
            "VCCP DONE workload=udp-seq-send ok=500 fail=0 flow=3 sent=500 errors=0"
                + " udp_sndbuf_errors=");
    assertThat(awaitDone(receiver))
        .startsWith(
            "VCCP DONE workload=udp-seq-recv ok=500 fail=0 expected=500 flow=3 received=500"
                + " gaps=0 dups=0 reorders=0 last=500 udp_rcvbuf_errors=");
    assertThat(sender.exitValue()).isZero();
  }

  private static void send(DatagramSocket socket, int port, int flow, long seq) throws IOException {
    ByteBuffer payload = ByteBuffer.allocate(GuestParams.UDP_SEQ_HEADER_BYTES);
    payload.put(MAGIC).putInt(flow).putLong(seq).putLong(System.nanoTime());
    socket.send(
        new DatagramPacket(
            payload.array(), payload.capacity(), InetAddress.getLoopbackAddress(), port));
  }

  private static Process start(Object... args) throws IOException {
    String[] command = new String[args.length + 1];
    command[0] = helper.toString();
    for (int i = 0; i < args.length; i++) {
      command[i + 1] = String.valueOf(args[i]);
    }
    return new ProcessBuilder(command).redirectErrorStream(true).start();
  }

  /**
   * Starts {@code seq-recv} with its output in a file (its counting child outlives the process Java
   * started, and Java closes that process's pipe when it exits) and returns once it is bound.
   */
  private static Path startReceiver(String name, int port, int count, int flow) throws Exception {
    Path out = dir.resolve(name);
    Process receiver =
        new ProcessBuilder(helper.toString(), "seq-recv", "" + port, "" + count, "" + flow, "5")
            .redirectErrorStream(true)
            .redirectOutput(out.toFile())
            .start();
    assertThat(receiver.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(receiver.exitValue()).as("seq-recv said %s", Files.readString(out)).isZero();
    return out;
  }

  /** The receiver's DONE line, once its counting child has written it. */
  private static String awaitDone(Path out) throws IOException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      for (String line : Files.readAllLines(out)) {
        if (line.startsWith("VCCP DONE")) {
          return line;
        }
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
    }
    throw new AssertionError("no VCCP DONE from seq-recv within 30 s: " + Files.readString(out));
  }

  private static int freeUdpPort() throws IOException {
    try (DatagramSocket probe = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
      return probe.getLocalPort();
    }
  }
}
