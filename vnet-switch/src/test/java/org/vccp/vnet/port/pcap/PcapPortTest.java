package org.vccp.vnet.port.pcap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vccp.vnet.VirtualSwitch;
import org.vccp.vnet.config.SwitchContext;
import org.vccp.vnet.control.ControlServer;
import org.vccp.vnet.port.Port;
import org.vccp.vnet.port.PortSpec;
import org.vccp.vnet.status.PortCounter;
import org.vccp.vnet.testing.Await;
import org.vccp.vnet.testing.TestNet;

/**
 * Two network namespaces, each behind a veth whose host end is a pcap port of one switch: the
 * kernel's own ping and TCP go through the switch both ways. MTU 9000 on every end, so jumbo frames
 * are exercised too. Needs root and libpcap; skipped otherwise.
 */
@Tag("root")
class PcapPortTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final String IP_A = "10.99.71.1";
  private static final String IP_B = "10.99.71.2";

  @TempDir static Path dir;
  private static TestNet net;
  private static VirtualSwitch sw;
  private static String nsA;
  private static String nsB;
  private static String hostA;
  private static String hostB;

  @BeforeAll
  static void setUp() {
    String why = TestNet.unusableReason();
    Assumptions.assumeTrue(why == null, why);
    net = new TestNet();
    TestNet.TwoHosts hosts = net.twoHosts(IP_A + "/24", IP_B + "/24");
    nsA = hosts.nsA();
    nsB = hosts.nsB();
    hostA = hosts.hostA();
    hostB = hosts.hostB();
    for (String dev : new String[] {hostA, hostB}) {
      TestNet.run("ip", "link", "set", dev, "mtu", "9000").orThrow("mtu " + dev);
    }
    net.inNs(nsA, "ip", "link", "set", hosts.devA(), "mtu", "9000").orThrow("mtu an");
    net.inNs(nsB, "ip", "link", "set", hosts.devB(), "mtu", "9000").orThrow("mtu bn");
    SwitchContext ctx = new SwitchContext();
    ctx.ports.add(PortSpec.pcap("pa", hostA));
    ctx.ports.add(PortSpec.parse("pb,pcap=" + hostB));
    sw = VirtualSwitch.start(ctx);
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

  private static long count(String port, PortCounter c) {
    return sw.port(port).counters().get(c);
  }

  @Test
  void kernelPingCrossesTheSwitchBothWays() {
    net.inNs(nsA, "ping", "-c", "3", "-i", "0.2", "-W", "3", IP_B).orThrow("ping A -> B");
    net.inNs(nsB, "ping", "-c", "3", "-i", "0.2", "-W", "3", IP_A).orThrow("ping B -> A");
    for (String p : new String[] {"pa", "pb"}) {
      assertThat(count(p, PortCounter.RX_FRAMES)).as(p + " rx").isGreaterThanOrEqualTo(6);
      assertThat(count(p, PortCounter.TX_FRAMES)).as(p + " tx").isGreaterThanOrEqualTo(6);
      assertThat(count(p, PortCounter.DROP_SEND_ERROR)).as(p + " send errors").isZero();
    }
    assertThat(sw.macs()).hasSizeGreaterThanOrEqualTo(2);
  }

  /**
   * Frames that something else on the host sends out of a port's interface are not copied into the
   * port's capture at all (PACKET_IGNORE_OUTGOING), rather than copied and skipped by libpcap: on
   * an uplink that carries the host's own traffic that would be all of it.
   */
  @Test
  void framesOthersSendOutOfTheInterfaceNeverReachTheCapture() throws Exception {
    PcapPort pb = (PcapPort) sw.port("pb");
    long captured = pb.kernelCaptured();
    long rx = count("pb", PortCounter.RX_FRAMES);
    byte[] f = org.vccp.vnet.testing.Frames.frame(0x0200_0000_0e0eL, 0x0200_0000_0f0fL, 100, 1);
    f[12] = (byte) 0x88; // local experimental ethertype: the namespace ignores it
    f[13] = (byte) 0xb5;
    try (org.pcap4j.core.PcapHandle other =
        org.pcap4j.core.Pcaps.getDevByName(hostB)
            .openLive(
                128, org.pcap4j.core.PcapNetworkInterface.PromiscuousMode.NONPROMISCUOUS, 10)) {
      for (int i = 0; i < 200; i++) {
        other.sendPacket(f);
      }
    }
    Thread.sleep(200);
    long received = count("pb", PortCounter.RX_FRAMES) - rx;
    // the capture got what came in (a few may be counted between the reads), none of the 200
    assertThat(pb.kernelCaptured() - captured).isBetween(received, received + 5);
  }

  @Test
  void jumboFramesOf9014BytesPassUnfragmented() {
    long before = count("pb", PortCounter.TX_BYTES);
    net.inNs(nsA, "ping", "-c", "2", "-i", "0.2", "-W", "3", "-M", "do", "-s", "8972", IP_B)
        .orThrow("9000-byte ping (don't fragment)");
    assertThat(count("pb", PortCounter.TX_BYTES) - before).isGreaterThanOrEqualTo(2 * 9014);
  }

  /** With tx checksum, TSO and GSO off on the senders (setUp), TCP flows through the switch. */
  @Test
  void tcpFlowsWithOffloadsOff() throws Exception {
    try (Iperf3 server = new Iperf3(5201)) {
      long before = count("pb", PortCounter.TX_BYTES);
      long gsoBefore = count("pa", PortCounter.DROP_GSO);
      TestNet.Result r =
          net.inNs(nsA, "timeout", "30", "iperf3", "-c", IP_B, "-p", "5201", "-t", "2", "-f", "m");
      r.orThrow("iperf3 with offloads off");
      assertThat(r.output()).contains("receiver");
      assertThat(count("pb", PortCounter.TX_BYTES) - before).isGreaterThan(10_000_000L);
      assertThat(count("pa", PortCounter.DROP_GSO)).isEqualTo(gsoBefore);
    }
  }

  /**
   * Offloads switched on in the middle of a TCP flow: the veth then hands the capture GSO frames of
   * up to 64 KiB, cut to the 9018-byte snaplen, which cannot be injected; each is counted as
   * drop_gso by its original length, none passes silently, and none is forwarded truncated (B's
   * interface would refuse a 9018-byte frame: drop_send_error).
   */
  @Test
  void gsoFramesFromAnInterfaceWithOffloadsOnAreCounted() throws Exception {
    String dev = net.prefix() + "an";
    try (Iperf3 server = new Iperf3(5202)) {
      long before = count("pb", PortCounter.TX_BYTES);
      long sendErrorsBefore = count("pb", PortCounter.DROP_SEND_ERROR);
      Process client =
          net.startInNs(
              nsA,
              dir.resolve("iperf3-gso-client.log"),
              "timeout",
              "30",
              "iperf3",
              "-c",
              IP_B,
              "-p",
              "5202",
              "-t",
              "4");
      try {
        Await.until(
            "TCP data through the switch",
            WAIT,
            () -> count("pb", PortCounter.TX_BYTES) - before > 1_000_000);
        net.inNs(nsA, "ethtool", "-K", dev, "tx", "on", "tso", "on", "gso", "on")
            .orThrow("offloads on");
        Await.until("a drop_gso count", WAIT, () -> count("pa", PortCounter.DROP_GSO) > 0);
        assertThat(count("pb", PortCounter.DROP_SEND_ERROR)).isEqualTo(sendErrorsBefore);
      } finally {
        net.offloadsOff(nsA, dev).orThrow("offloads off again");
        client.destroy();
        client.waitFor();
      }
    }
  }

  /** An iperf3 server in namespace B, stopped on close. */
  private static final class Iperf3 implements AutoCloseable {
    private final Process process;

    Iperf3(int port) throws Exception {
      process =
          net.startInNs(
              nsB,
              dir.resolve("iperf3-server-" + port + ".log"),
              "iperf3",
              "-s",
              "-p",
              Integer.toString(port));
      Await.until(
          "iperf3 listening in " + nsB,
          WAIT,
          () -> net.inNs(nsB, "ss", "-ltn").output().contains(":" + port));
    }

    @Override
    public void close() throws InterruptedException {
      process.destroy();
      process.waitFor();
    }
  }

  @Test
  void idleInterfaceAttachesAndDetachesWithoutDeadlock() {
    String idle = net.prefix() + "i";
    String peer = net.prefix() + "j";
    TestNet.run("ip", "link", "add", idle, "type", "veth", "peer", "name", peer).orThrow("veth");
    try {
      TestNet.quietHost(idle);
      TestNet.quietHost(peer);
      TestNet.run("ip", "link", "set", idle, "up").orThrow("up");
      ControlServer control = new ControlServer(sw, dir.resolve("unused.sock"));
      assertTimeoutPreemptively(
          Duration.ofSeconds(30),
          () -> {
            String add =
                control.handle("{\"cmd\":\"add-port\",\"spec\":\"idle,pcap=" + idle + "\"}");
            assertThat(add).contains("\"ok\":true");
            Port p = sw.port("idle");
            assertThat(p).isInstanceOf(PcapPort.class);
            assertThat(p.isLinkUp()).isTrue();
            assertThat(p.spec().toFlag()).isEqualTo("idle,pcap=" + idle);
            assertThat(control.handle("{\"cmd\":\"del-port\",\"name\":\"idle\"}"))
                .contains("\"ok\":true");
          });
      assertThat(Thread.getAllStackTraces().keySet())
          .extracting(Thread::getName)
          .doesNotContain("vccp-pcap-rx-idle", "vccp-pcap-tx-idle");
      String missing =
          control.handle("{\"cmd\":\"add-port\",\"spec\":\"nope,pcap=" + net.prefix() + "x\"}");
      assertThat(missing).contains("\"ok\":false").contains("does not exist");
      control.close();
    } finally {
      TestNet.run("ip", "link", "del", idle);
    }
  }

  @Test
  void portIsRemovedWhenItsInterfaceDisappears() {
    String gone = net.prefix() + "g";
    String peer = net.prefix() + "h";
    TestNet.run("ip", "link", "add", gone, "type", "veth", "peer", "name", peer).orThrow("veth");
    TestNet.quietHost(gone);
    TestNet.run("ip", "link", "set", gone, "up").orThrow("up");
    sw.addPort(PortSpec.pcap("gone", gone));
    TestNet.run("ip", "link", "del", gone).orThrow("del");
    Await.until("port removed after its interface vanished", WAIT, () -> sw.port("gone") == null);
    assertThat(Files.exists(Path.of("/sys/class/net", gone))).isFalse();
  }
}
