package org.vccp.vnet.port.packet;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vccp.vnet.VirtualSwitch;
import org.vccp.vnet.config.SwitchContext;
import org.vccp.vnet.port.PortSpec;
import org.vccp.vnet.status.PortCounter;
import org.vccp.vnet.testing.Await;
import org.vccp.vnet.testing.TestNet;

/**
 * Three namespaces behind veths, joined by one switch: A and B with the veths' offloads on (TSO,
 * GSO, checksum: the defaults) on {@code pcap=IF,offload} ports, C with offloads off on a libpcap
 * port. The kernels' own TCP carries 24 MiB of random bytes A → B, where super-frames must cross
 * whole, and A → C, where the switch must cut them into valid frames itself; the receiver's MD5
 * must match. C's kernel checks every checksum, so a bad segment would stall the transfer, and a
 * wrong payload under a right checksum would change the MD5. A fourth namespace, D, sits on VLAN 20
 * behind an access port; A sends it 802.1Q-tagged frames, which the kernel untags before any packet
 * socket sees them, so A's port, a trunk, must put the tags back. Needs root.
 */
@Tag("root")
class PacketPortTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final int FILE_BYTES = 24 << 20;
  private static final String IP_A = "10.99.73.1";
  private static final String IP_B = "10.99.73.2";
  private static final String IP_C = "10.99.73.3";
  private static final String IP_D = "10.99.73.4";

  /** Sends COUNT frames tagged with VLAN 20 (EtherType 0x88b5, payload vlan-N) out of DEV. */
  private static final String TAGGED_SENDER =
      "import socket, sys\n"
          + "s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW); s.bind((sys.argv[1], 0))\n"
          + "for i in range(int(sys.argv[2])):\n"
          + "    s.send(b'\\xff' * 6 + bytes.fromhex('02000000aa01') + bytes.fromhex('81000014')"
          + " + bytes.fromhex('88b5') + ('vlan-%d' % i).encode().ljust(46, b'.'))\n";

  /** Prints the payload of each 0x88b5 frame DEV receives within SECONDS. */
  private static final String TAGGED_RECEIVER =
      "import socket, sys, time\n"
          + "s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))\n"
          + "s.bind((sys.argv[1], 0)); s.settimeout(0.2); print('ready', flush=True)\n"
          + "end = time.time() + float(sys.argv[2])\n"
          + "while time.time() < end:\n"
          + "    try: f = s.recv(2048)\n"
          + "    except socket.timeout: continue\n"
          + "    if f[12:14] == bytes.fromhex('88b5'): print(f[14:20].decode(), flush=True)\n";

  private static final String SINK =
      "import hashlib, socket, sys\n"
          + "s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
          + "s.bind(('0.0.0.0', int(sys.argv[1]))); s.listen(1); c, _ = s.accept()\n"
          + "h = hashlib.md5(); n = 0\n"
          + "while True:\n"
          + "    b = c.recv(1 << 20)\n"
          + "    if not b: break\n"
          + "    h.update(b); n += len(b)\n"
          + "print(n, h.hexdigest(), flush=True)\n";

  private static final String SOURCE =
      "import socket, sys\n"
          + "s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=60)\n"
          + "s.sendall(open(sys.argv[3], 'rb').read()); s.close()\n";

  @TempDir static Path dir;
  private static TestNet net;
  private static VirtualSwitch sw;
  private static String nsA;
  private static String nsB;
  private static String nsC;
  private static String nsD;
  private static Path file;
  private static String fileMd5;

  @BeforeAll
  static void setUp() throws Exception {
    String why = TestNet.unusableReason();
    Assumptions.assumeTrue(why == null, why);
    net = new TestNet();
    nsA = net.namespace("a");
    nsB = net.namespace("b");
    nsC = net.namespace("c");
    String hostA = net.veth("ah", nsA, "an", IP_A + "/24");
    String hostB = net.veth("bh", nsB, "bn", IP_B + "/24");
    String hostC = net.veth("ch", nsC, "cn", IP_C + "/24");
    nsD = net.namespace("d");
    String hostD = net.veth("dh", nsD, "dn", IP_D + "/24");
    net.offloadsOff(nsD, net.prefix() + "dn").orThrow("offloads off in D");
    for (String[] nd : new String[][] {{nsA, "an"}, {nsB, "bn"}}) {
      net.inNs(nd[0], "ethtool", "-K", net.prefix() + nd[1], "tx", "on", "tso", "on", "gso", "on")
          .orThrow("offloads on in " + nd[0]);
    }
    net.offloadsOff(nsC, net.prefix() + "cn").orThrow("offloads off in C");
    SwitchContext ctx = new SwitchContext();
    ctx.ports.add(PortSpec.parse("pa,pcap=" + hostA + ",offload,trunk=20,native=1"));
    ctx.ports.add(PortSpec.pcap("pb", hostB).withOffload(true));
    ctx.ports.add(PortSpec.pcap("pc", hostC));
    ctx.ports.add(PortSpec.parse("pd,pcap=" + hostD + ",vlan=20"));
    sw = VirtualSwitch.start(ctx);
    Files.writeString(dir.resolve("sink.py"), SINK);
    Files.writeString(dir.resolve("source.py"), SOURCE);
    byte[] data = new byte[FILE_BYTES];
    new Random(11).nextBytes(data);
    file = dir.resolve("data.bin");
    Files.write(file, data);
    fileMd5 = HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(data));
  }

  @AfterAll
  static void tearDown() {
    if (sw != null) {
      sw.close();
    }
    if (net != null) {
      net.close();
    }
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static long count(String port, PortCounter c) {
    return sw.port(port).counters().get(c);
  }

  /** Sends the file from A to {@code ip} in {@code ns} over TCP; returns the sink's line. */
  private static String transfer(String ns, String ip, int port) throws Exception {
    Path log = dir.resolve("sink-" + port + ".log");
    Process sink =
        net.startInNs(
            ns, log, "python3", dir.resolve("sink.py").toString(), Integer.toString(port));
    try {
      Await.until(
          "the sink listening in " + ns,
          WAIT,
          () -> net.inNs(ns, "ss", "-ltn").output().contains(":" + port));
      net.inNs(
              nsA,
              "timeout",
              "60",
              "python3",
              dir.resolve("source.py").toString(),
              ip,
              Integer.toString(port),
              file.toString())
          .orThrow("sending " + FILE_BYTES + " bytes to " + ip);
      assertThat(sink.waitFor(60, TimeUnit.SECONDS)).as("sink finished").isTrue();
      return Files.readString(log).trim();
    } finally {
      sink.destroyForcibly();
    }
  }

  @Test
  void superFramesCrossWholeBetweenOffloadPorts() throws Exception {
    long rxFrames = count("pa", PortCounter.RX_FRAMES);
    long rxBytes = count("pa", PortCounter.RX_BYTES);

    String result = transfer(nsB, IP_B, 5301);

    assertThat(result).isEqualTo(FILE_BYTES + " " + fileMd5);
    long frames = count("pa", PortCounter.RX_FRAMES) - rxFrames;
    long bytes = count("pa", PortCounter.RX_BYTES) - rxBytes;
    assertThat(bytes / frames)
        .as("average frame from A: super-frames, not 1,514-byte ones")
        .isGreaterThan(4_000);
    assertThat(count("pb", PortCounter.OFFLOAD_SEGMENTS)).as("nothing cut for B").isZero();
    assertThat(count("pb", PortCounter.DROP_SEND_ERROR)).isZero();
    assertThat(count("pa", PortCounter.DROP_OVERSIZE)).isZero();
    assertThat(sw.port("pa").describe()).contains("with offloads");
  }

  @Test
  void superFramesAreCutIntoValidFramesForAPortWithoutOffloads() throws Exception {
    long segments = count("pc", PortCounter.OFFLOAD_SEGMENTS);

    String result = transfer(nsC, IP_C, 5302);

    assertThat(result).isEqualTo(FILE_BYTES + " " + fileMd5);
    assertThat(count("pc", PortCounter.OFFLOAD_SEGMENTS) - segments)
        .as("frames the switch cut for C")
        .isGreaterThan(FILE_BYTES / 1514);
    assertThat(count("pc", PortCounter.DROP_SEND_ERROR))
        .as("C's interface refused no frame (a super-frame would be EMSGSIZE)")
        .isZero();
    assertThat(count("pc", PortCounter.DROP_GSO)).isZero();
  }

  /**
   * Frames tagged with VLAN 20 from A: the kernel hands the packet socket A's frames untagged, with
   * the tag on the side (PACKET_AUXDATA); the port puts it back, the trunk classifies them into
   * VLAN 20, and D's access port delivers them untagged. Lost tags would put them in VLAN 1, which
   * D is not on.
   */
  @Test
  void taggedFramesKeepTheirVlanThroughATrunkOffloadPort() throws Exception {
    Files.writeString(dir.resolve("tagged-send.py"), TAGGED_SENDER);
    Files.writeString(dir.resolve("tagged-recv.py"), TAGGED_RECEIVER);
    Path log = dir.resolve("tagged-recv.log");
    Process receiver =
        net.startInNs(
            nsD,
            log,
            "python3",
            dir.resolve("tagged-recv.py").toString(),
            net.prefix() + "dn",
            "8");
    try {
      Await.until("receiver ready in D", WAIT, () -> read(log).contains("ready"));
      long pdTx = count("pd", PortCounter.TX_FRAMES);

      net.inNs(nsA, "python3", dir.resolve("tagged-send.py").toString(), net.prefix() + "an", "5")
          .orThrow("tagged frames from A");

      Await.until(
          "5 frames of VLAN 20 at D",
          WAIT,
          () -> read(log).lines().filter(l -> l.startsWith("vlan-")).count() == 5);
      assertThat(Files.readString(log).lines().filter(l -> l.startsWith("vlan-")))
          .containsExactly("vlan-0", "vlan-1", "vlan-2", "vlan-3", "vlan-4");
      assertThat(count("pd", PortCounter.TX_FRAMES) - pdTx).isGreaterThanOrEqualTo(5);
    } finally {
      receiver.destroyForcibly();
    }
  }

  @Test
  void pingAndItsRepliesCrossBothKindsOfPort() {
    net.inNs(nsB, "ping", "-c", "3", "-i", "0.2", "-W", "3", IP_A).orThrow("ping B -> A");
    net.inNs(nsC, "ping", "-c", "3", "-i", "0.2", "-W", "3", IP_A).orThrow("ping C -> A");
    assertThat(sw.port("pa").spec().toFlag()).contains(",offload");
  }

  @Test
  void aPortWhoseInterfaceVanishesIsRemoved() {
    String dev = net.prefix() + "g";
    TestNet.run("ip", "link", "add", dev, "type", "veth", "peer", "name", net.prefix() + "h")
        .orThrow("veth");
    TestNet.quietHost(dev);
    TestNet.run("ip", "link", "set", dev, "up").orThrow("up");
    sw.addPort(PortSpec.pcap("gone", dev).withOffload(true));
    assertThat(sw.port("gone")).isInstanceOf(PacketPort.class);

    TestNet.run("ip", "link", "del", dev).orThrow("del");

    Await.until("the port removed", WAIT, () -> sw.port("gone") == null);
    assertThat(Thread.getAllStackTraces().keySet())
        .extracting(Thread::getName)
        .doesNotContain("vccp-packet-rx-gone");
  }
}
