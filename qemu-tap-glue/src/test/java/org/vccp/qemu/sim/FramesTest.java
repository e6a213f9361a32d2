package org.vccp.qemu.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The sim-guest's frames: checksums a receiver verifies, parsing, and tshark's own reading. */
class FramesTest {
  private static final long MAC_A = Frames.parseMac("52:54:00:00:00:01");
  private static final long MAC_B = Frames.parseMac("52:54:00:00:00:02");
  private static final int IP_A = Frames.parseIpv4("10.0.0.1");
  private static final int IP_B = Frames.parseIpv4("10.0.0.2");

  @TempDir Path dir;

  private static byte[] seqFrame(long seq, int bytes) {
    byte[] data = UdpSeqPayload.encode(7, seq, 123_456_789L, bytes);
    return Frames.udp(MAC_A, MAC_B, IP_A, IP_B, 42, 40000, 5001, data, data.length);
  }

  @Test
  void udpFramesCarryValidChecksumsAndParseBack() {
    byte[] frame = seqFrame(99, 64);
    assertThat(frame).hasSize(14 + 20 + 8 + 64);
    assertThat(Frames.checksum(frame, 14, 20, 0)).isZero(); // header with its checksum sums to 0
    Frames.Udp udp = Frames.parseUdp(frame);
    assertThat(udp).isNotNull();
    assertThat(udp.srcMac()).isEqualTo(MAC_A);
    assertThat(udp.srcIp()).isEqualTo(IP_A);
    assertThat(udp.dstIp()).isEqualTo(IP_B);
    assertThat(udp.dstPort()).isEqualTo(5001);
    assertThat(UdpSeqPayload.matches(udp.data())).isTrue();
    assertThat(UdpSeqPayload.flow(udp.data())).isEqualTo(7);
    assertThat(UdpSeqPayload.seq(udp.data())).isEqualTo(99);

    frame[frame.length - 1] ^= 1; // one payload bit: the UDP checksum no longer holds
    assertThat(Frames.parseUdp(frame)).isNull();
  }

  @Test
  void arpIsPaddedToTheEthernetMinimumAndParses() {
    byte[] request = Frames.arp(Frames.ARP_REQUEST, MAC_A, IP_A, Frames.BROADCAST, 0, IP_B);
    assertThat(request).hasSize(60);
    assertThat(Frames.dstMac(request)).isEqualTo(Frames.BROADCAST);
    Frames.Arp arp = Frames.parseArp(request);
    assertThat(arp.op()).isEqualTo(Frames.ARP_REQUEST);
    assertThat(arp.senderMac()).isEqualTo(MAC_A);
    assertThat(arp.senderIp()).isEqualTo(IP_A);
    assertThat(arp.targetIp()).isEqualTo(IP_B);
    assertThat(Frames.formatMac(MAC_A)).isEqualTo("52:54:00:00:00:01");
    assertThat(Frames.formatIpv4(IP_B)).isEqualTo("10.0.0.2");
  }

  @Test
  void tsharkDecodesArpAndUdpWithGoodChecksums() throws Exception {
    Assumptions.assumeTrue(
        Files.isExecutable(Path.of("/usr/bin/tshark")), "tshark is not installed");
    Path pcap = dir.resolve("sim.pcap");
    writePcap(
        pcap,
        List.of(
            Frames.arp(Frames.ARP_REQUEST, MAC_A, IP_A, Frames.BROADCAST, 0, IP_B),
            Frames.arp(Frames.ARP_REPLY, MAC_B, IP_B, MAC_A, MAC_A, IP_A),
            seqFrame(1, 28),
            seqFrame(2, 1472)));
    Process tshark =
        new ProcessBuilder(
                "tshark",
                "-r",
                pcap.toString(),
                "-o",
                "ip.check_checksum:TRUE",
                "-o",
                "udp.check_checksum:TRUE",
                "-T",
                "fields",
                "-E",
                "separator=;",
                "-e",
                "_ws.col.Protocol",
                "-e",
                "ip.checksum.status",
                "-e",
                "udp.checksum.status",
                "-e",
                "udp.length",
                "-e",
                "_ws.expert")
            .redirectErrorStream(true)
            .start();
    String out = new String(tshark.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(tshark.waitFor(60, TimeUnit.SECONDS)).isTrue();
    List<String> lines = out.lines().filter(l -> l.contains(";")).toList();
    assertThat(lines).as(out).hasSize(4);
    assertThat(lines.get(0)).startsWith("ARP;");
    assertThat(lines.get(1)).startsWith("ARP;");
    // checksum status 1 = "Good" (0 bad, 2 unverified); no expert info (malformed, bad checksum)
    assertThat(lines.get(2)).isEqualTo("UDP;1;1;36;");
    assertThat(lines.get(3)).isEqualTo("UDP;1;1;1480;");
  }

  private static void writePcap(Path file, List<byte[]> frames) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(bytes);
    out.writeInt(0xa1b2c3d4); // big-endian classic pcap, microseconds
    out.writeShort(2);
    out.writeShort(4);
    out.writeInt(0);
    out.writeInt(0);
    out.writeInt(65535);
    out.writeInt(1); // Ethernet
    int i = 0;
    for (byte[] frame : frames) {
      out.writeInt(1_700_000_000 + i++);
      out.writeInt(0);
      out.writeInt(frame.length);
      out.writeInt(frame.length);
      out.write(frame);
    }
    Files.write(file, bytes.toByteArray());
  }
}
