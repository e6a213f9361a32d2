package org.vccp.checkpoint.verify;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vccp.vnet.VirtualSwitch;
import org.vccp.vnet.config.SwitchContext;
import org.vccp.vnet.port.Port;
import org.vccp.vnet.port.PortAddress;
import org.vccp.vnet.port.PortSpec;
import org.vccp.vnet.record.PcapngWriter;
import org.vccp.vnet.status.Counters;
import org.vccp.vnet.status.PortCounter;
import org.vccp.vnet.testing.Tshark;

/**
 * The switch's own recording of real traffic over its stream sockets verifies clean, and so do
 * per-port captures of the same frames as the guests saw them (what tcpdump on each tap would
 * give): both verdicts agree, frame for frame.
 */
class RealSwitchRecordingTest {
  private static final long DEADLINE_NS = 10_000_000_000L;

  @TempDir Path dir;
  private VirtualSwitch sw;
  private final List<SocketChannel> clients = new ArrayList<>();

  @AfterEach
  void close() throws IOException {
    for (SocketChannel c : clients) {
      c.close();
    }
    if (sw != null) {
      sw.close();
    }
  }

  /** One guest's side: what it sent and received, with times, as a tap capture would show. */
  private static final class Guest {
    final SocketChannel ch;
    final List<byte[]> frames = new ArrayList<>();
    final List<Long> times = new ArrayList<>();
    final ByteBuffer in = ByteBuffer.allocate(1 << 20);

    Guest(SocketChannel ch) {
      this.ch = ch;
    }

    void send(byte[] f) throws IOException {
      ByteBuffer b = ByteBuffer.allocate(4 + f.length).putInt(f.length).put(f).flip();
      while (b.hasRemaining()) {
        ch.write(b);
      }
      frames.add(f);
      times.add(System.currentTimeMillis() * 1_000_000L + frames.size());
    }

    /** Reads until {@code n} frames arrived in total or the deadline passed. */
    void receive(int n) throws IOException {
      long end = System.nanoTime() + DEADLINE_NS;
      int got = 0;
      ch.configureBlocking(false);
      while (got < n && System.nanoTime() < end) {
        if (ch.read(in) == 0) {
          Thread.onSpinWait();
        }
        in.flip();
        while (in.remaining() >= 4 && in.remaining() >= 4 + in.getInt(in.position())) {
          byte[] f = new byte[in.getInt()];
          in.get(f);
          frames.add(f);
          times.add(System.currentTimeMillis() * 1_000_000L + 500_000 + frames.size());
          got++;
        }
        in.compact();
      }
      ch.configureBlocking(true);
      assertThat(got).as("frames received").isEqualTo(n);
    }
  }

  private Guest connect(String port) throws IOException {
    SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(dir.resolve(port + ".sock")));
    clients.add(c);
    long end = System.nanoTime() + DEADLINE_NS;
    while (!sw.port(port).isLinkUp() && System.nanoTime() < end) {
      Thread.onSpinWait();
    }
    return new Guest(c);
  }

  @Test
  void recordingAndPerPortCapturesOfARealRunBothVerifyClean() throws IOException {
    SwitchContext ctx = new SwitchContext();
    ctx.name = "sw0";
    ctx.recordDir = dir.resolve("rec");
    for (String n : new String[] {"g1", "g2", "g3"}) {
      ctx.ports.add(PortSpec.listen(n, PortAddress.unix(dir.resolve(n + ".sock"))));
    }
    sw = VirtualSwitch.start(ctx);
    Guest g1 = connect("g1");
    Guest g2 = connect("g2");
    Guest g3 = connect("g3");
    Guest[] all = {g1, g2, g3};
    for (int g = 1; g <= 3; g++) {
      all[g - 1].send(TestFrames.raw(TestFrames.BROADCAST, g, g));
      for (int q = 1; q <= 3; q++) {
        if (q != g) {
          all[q - 1].receive(1);
        }
      }
    }
    for (int n = 1; n <= 300; n++) {
      g1.send(TestFrames.udpSeq(1, 2, 5001, n));
      g3.send(TestFrames.tcpSeg(3, 1, 10_000 + 100 * n, 100));
    }
    g2.receive(300);
    g1.receive(300);
    sw.stopRecording();

    VerifyContext rec = new VerifyContext();
    rec.inputs.add(ctx.recordDir);
    VerifyReport fromRecording = Verifier.run(rec, null);
    assertThat(fromRecording.findings().list()).isEmpty();
    assertThat(fromRecording.runs).isEqualTo(1);
    assertThat(fromRecording.ingress).isEqualTo(3 + 600);
    assertThat(fromRecording.udpDatagrams).isEqualTo(600); // g1 ingress + g2 egress
    assertThat(fromRecording.tcpSegments).isEqualTo(600);

    Path taps = Files.createDirectories(dir.resolve("taps"));
    for (int g = 1; g <= 3; g++) {
      Guest guest = all[g - 1];
      try (PcapngWriter w =
          new PcapngWriter(
              FileChannel.open(
                  taps.resolve("tap" + g + ".pcapng"),
                  StandardOpenOption.CREATE_NEW,
                  StandardOpenOption.WRITE),
              1 << 16)) {
        w.writeSectionHeader("test tap capture", null);
        int i = w.addInterface("tap" + g, null, PcapngWriter.LINKTYPE_ETHERNET, 65535);
        for (int k = 0; k < guest.frames.size(); k++) {
          byte[] f = guest.frames.get(k);
          w.writePacket(i, guest.times.get(k), f, 0, f.length, f.length, -1, -1, (String) null);
        }
      }
    }
    VerifyContext plain = new VerifyContext();
    plain.inputs.add(taps);
    VerifyReport fromTaps = Verifier.run(plain, null);
    assertThat(fromTaps.findings().list()).isEmpty();
    assertThat(fromTaps.exitStatus()).isEqualTo(fromRecording.exitStatus()).isZero();
    long tapDelivered = fromTaps.channels().stream().mapToLong(ChannelStats::delivered).sum();
    long recDelivered = fromRecording.channels().stream().mapToLong(ChannelStats::delivered).sum();
    assertThat(tapDelivered).isEqualTo(recDelivered).isEqualTo(6 + 600);
  }

  /**
   * A peer that stops reading and then leaves: what the switch had queued for it (its egress queue,
   * and writes the socket had not taken) is recorded as unsent, so the recording's delivered and
   * dropped counts for the channel equal the port's own tx and drop counters.
   */
  @Test
  void framesQueuedForAPeerThatLeavesCountAsDroppedNotDelivered() throws Exception {
    SwitchContext ctx = new SwitchContext();
    ctx.name = "sw0";
    ctx.recordDir = dir.resolve("rec");
    ctx.egressQueueBytes = 128 * 1024;
    for (String n : new String[] {"g1", "g2"}) {
      ctx.ports.add(PortSpec.listen(n, PortAddress.unix(dir.resolve(n + ".sock"))));
    }
    sw = VirtualSwitch.start(ctx);
    Guest g1 = connect("g1");
    Guest g2 = connect("g2");
    g2.send(TestFrames.raw(TestFrames.BROADCAST, 2, 0));
    g1.receive(1);
    int frames = 3000;
    for (int n = 1; n <= frames; n++) {
      byte[] payload = new byte[1400];
      ByteBuffer.wrap(payload).putInt(n);
      g1.send(TestFrames.eth(TestFrames.mac(2), TestFrames.mac(1), 0x88b5, payload));
    }
    Port p2 = sw.port("g2");
    Counters c2 = p2.counters();
    long end = System.nanoTime() + DEADLINE_NS;
    while ((sw.port("g1").counters().get(PortCounter.RX_FRAMES) < frames || sw.ringBacklog() > 0)
        && System.nanoTime() < end) {
      Thread.sleep(10);
    }
    Thread.sleep(200); // the port writes what its peer's socket still takes
    assertThat(p2.egress().bytesQueued())
        .as("frames still queued for the silent peer")
        .isPositive();
    g2.ch.close();
    while (c2.get(PortCounter.DISCONNECTS) == 0 && System.nanoTime() < end) {
      Thread.sleep(10);
    }
    p2.syncIngress().get(); // the disconnect's handler has run and reported what it dropped
    sw.stopRecording();

    long tx = c2.get(PortCounter.TX_FRAMES);
    long congestion = c2.get(PortCounter.DROP_CONGESTION);
    long noPort = c2.get(PortCounter.DROP_NO_PORT);
    assertThat(noPort).isPositive();
    assertThat(tx + congestion + noPort).isEqualTo(frames);

    VerifyContext rec = new VerifyContext();
    rec.inputs.add(ctx.recordDir);
    VerifyReport report = Verifier.run(rec, null);
    assertThat(report.findings().list()).isEmpty();
    ChannelStats g1g2 =
        report.channels().stream().filter(ch -> ch.name().equals("g1->g2")).findFirst().get();
    assertThat(g1g2.delivered()).isEqualTo(tx);
    assertThat(g1g2.dropped()).isEqualTo(congestion + noPort);
    assertThat(g1g2.lost()).isZero();

    // Wireshark shows each unsent event on g2, with the frame's length and no bytes.
    long unsentShown = 0;
    try (var files = Files.list(ctx.recordDir)) {
      for (Path f : files.sorted().toList()) {
        for (String[] row :
            Tshark.fields(
                f, "frame.interface_name", "frame.len", "frame.cap_len", "frame.comment")) {
          if (row[3].startsWith("vccp:unsent reason=drop_no_port from=g1")) {
            assertThat(row).containsExactly("g2", "1414", "0", row[3]);
            unsentShown++;
          }
        }
      }
    }
    assertThat(unsentShown).isEqualTo(noPort);
  }
}
