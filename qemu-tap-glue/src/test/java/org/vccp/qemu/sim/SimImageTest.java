package org.vccp.qemu.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vccp.qemu.guest.StreamSocket;

/**
 * The migration image, in-process: what it holds, and that a frame read after {@code stop} is not
 * in it (QEMU's behaviour, the naive checkpoint's loss), while every damaged stream is refused.
 */
class SimImageTest {
  private static final long SENDER_MAC = Frames.parseMac("52:54:00:00:00:01");
  private static final int SENDER_IP = Frames.parseIpv4("10.0.0.1");

  @TempDir Path dir;

  private SimGuestOptions receiver() {
    return SimGuestOptions.builder("r")
        .qmp(dir.resolve("r.qmp"))
        .netdev(StreamSocket.unix(dir.resolve("r.sock"), true))
        .mac("52:54:00:00:00:02")
        .ip("10.0.0.2")
        .workload(SimWorkloadKind.UDP_SEQ_RECV)
        .serial(dir.resolve("r.serial"))
        .build();
  }

  private static byte[] seq(long n) {
    byte[] data = UdpSeqPayload.encode(1, n, 0, 64);
    return Frames.udp(
        SENDER_MAC,
        Frames.parseMac("52:54:00:00:00:02"),
        SENDER_IP,
        Frames.parseIpv4("10.0.0.2"),
        (int) n,
        40000,
        5001,
        data,
        data.length);
  }

  @Test
  void aFrameReadAfterStopIsNotInTheImageButReachesTheStillLivingGuestOnCont() throws Exception {
    try (SerialReport serial = new SerialReport(dir.resolve("r.serial"))) {
      SimMachine machine = new SimMachine(receiver(), serial);
      machine.start();
      machine.deliver(
          Frames.arp(
              Frames.ARP_REQUEST,
              SENDER_MAC,
              SENDER_IP,
              Frames.BROADCAST,
              0,
              Frames.parseIpv4("10.0.0.2")));
      for (long n = 1; n <= 3; n++) {
        machine.deliver(seq(n));
      }
      assertThat(machine.stop()).isTrue();
      machine.deliver(seq(4)); // the netdev reader finished this read after the stop

      SimMachine.Save save = machine.saveForMigration(false);
      SimImage image = SimImage.read(save.stream());
      assertThat(image.runState()).isEqualTo("paused");
      assertThat(image.counter("last")).isEqualTo(3);
      assertThat(image.counter("received")).isEqualTo(3);
      assertThat(image.counter("tx_ring_frames")).isEqualTo(1); // the ARP reply, not yet written
      assertThat(machine.migrationEnded(save, true)).isFalse();
      assertThat(machine.state()).isEqualTo(RunState.POSTMIGRATE);

      assertThat(machine.cont()).isTrue();
      SimImage after = SimImage.read(machine.saveForMigration(false).stream());
      assertThat(after.counter("last")).isEqualTo(4);
      assertThat(after.runState()).isEqualTo("running");
      machine.shutdown();
    }
  }

  @Test
  void anIncomingImageLoadsPausedAndARunningOneAutostarts() throws Exception {
    byte[] paused;
    byte[] running;
    try (SerialReport serial = new SerialReport(dir.resolve("a.serial"))) {
      SimMachine source = new SimMachine(receiver(), serial);
      source.start();
      source.deliver(seq(1));
      running = source.saveForMigration(false).stream();
      source.migrationEnded(new SimMachine.Save(running, RunState.RUNNING, true, false), true);
      paused = source.saveForMigration(false).stream();
      source.shutdown();
    }
    try (SerialReport serial = new SerialReport(dir.resolve("b.serial"))) {
      SimMachine target = new SimMachine(receiver().forRestore(dir.resolve("b.serial")), serial);
      target.start();
      assertThat(target.state()).isEqualTo(RunState.INMIGRATE);
      assertThat(target.loadIncoming(paused)).isFalse();
      assertThat(target.state()).isEqualTo(RunState.PAUSED);
      target.shutdown();
    }
    try (SerialReport serial = new SerialReport(dir.resolve("c.serial"))) {
      SimMachine target = new SimMachine(receiver().forRestore(dir.resolve("c.serial")), serial);
      target.start();
      assertThat(target.loadIncoming(running)).isTrue();
      assertThat(target.state()).isEqualTo(RunState.RUNNING);
      target.shutdown();
    }
  }

  @Test
  void damagedOrForeignStreamsAreRefusedWithTheReason() throws Exception {
    byte[] good = GuestMemory.fresh(receiver()).encode();
    assertThat(SimImage.read(good).identity()).containsEntry("workload", "udp-seq-recv");

    assertThatThrownBy(() -> SimImage.read(new byte[0])).hasMessageContaining("empty");
    assertThatThrownBy(() -> SimImage.read("QEVM\0\0\0\3 a real QEMU stream".getBytes()))
        .hasMessageContaining("bad magic");
    assertThatThrownBy(() -> SimImage.read(Arrays.copyOf(good, good.length - 1)))
        .hasMessageContaining("truncated");
    byte[] flipped = good.clone();
    flipped[StateCodec.HEADER_BYTES + 3] ^= 0x40;
    assertThatThrownBy(() -> SimImage.read(flipped)).hasMessageContaining("CRC-32C");
    byte[] future = good.clone();
    ByteBuffer.wrap(future).putInt(8, 2);
    assertThatThrownBy(() -> SimImage.read(future)).hasMessageContaining("format version 2");

    SimGuestOptions otherMac =
        SimGuestOptions.builder("r")
            .qmp(dir.resolve("r.qmp"))
            .netdev(StreamSocket.unix(dir.resolve("r.sock"), true))
            .mac("52:54:00:00:00:09")
            .ip("10.0.0.2")
            .workload(SimWorkloadKind.UDP_SEQ_RECV)
            .serial(dir.resolve("r.serial"))
            .build();
    assertThatThrownBy(() -> GuestMemory.decode(good).checkLoadableBy(otherMac))
        .isInstanceOf(SimImageException.class)
        .hasMessageContaining("--mac '52:54:00:00:00:02' but this guest has '52:54:00:00:00:09'");
  }
}
