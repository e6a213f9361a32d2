package org.vccp.vnet.port.pcap;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.vccp.vnet.VirtualSwitch;
import org.vccp.vnet.config.SwitchContext;
import org.vccp.vnet.port.PortSpec;
import org.vccp.vnet.status.PortCounter;
import org.vccp.vnet.testing.Await;
import org.vccp.vnet.testing.TestNet;

/**
 * The capture keeps only MTU + 18 bytes of a frame (the snaplen), so a longer frame arrives cut
 * short: it must be dropped and counted by its length on the wire, never forwarded truncated. And a
 * raised MTU must still let jumbo frames through (the port reopens its capture). Two namespaces
 * behind veths at MTU 1500, IPv6 off so the only traffic is the test's own. Needs root.
 */
@Tag("root")
class PcapSnaplenTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final String IP_A = "10.99.72.1";
  private static final String IP_B = "10.99.72.2";

  private TestNet net;
  private VirtualSwitch sw;
  private String nsA;
  private String nsB;
  private String hostA;
  private String hostB;

  @BeforeEach
  void setUp() {
    String why = TestNet.unusableReason();
    Assumptions.assumeTrue(why == null, why);
    net = new TestNet();
    TestNet.TwoHosts hosts = net.twoHosts(IP_A + "/24", IP_B + "/24");
    nsA = hosts.nsA();
    nsB = hosts.nsB();
    hostA = hosts.hostA();
    hostB = hosts.hostB();
    for (String ns : new String[] {nsA, nsB}) {
      net.inNs(ns, "sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1").orThrow("no IPv6");
    }
  }

  @AfterEach
  void tearDown() {
    if (sw != null) {
      sw.close();
    }
    if (net != null) {
      net.close();
    }
  }

  private void startSwitch(int maxFrameBytes) {
    SwitchContext ctx = new SwitchContext();
    ctx.maxFrameBytes = maxFrameBytes;
    ctx.inlineFrameBytes = Math.min(ctx.inlineFrameBytes, maxFrameBytes);
    ctx.ports.add(PortSpec.pcap("pa", hostA));
    ctx.ports.add(PortSpec.pcap("pb", hostB));
    sw = VirtualSwitch.start(ctx);
  }

  private long count(String port, PortCounter c) {
    return sw.port(port).counters().get(c);
  }

  private TestNet.Result ping(String ns, String to, int payloadBytes, int count) {
    return net.inNs(
        ns,
        "ping",
        "-c",
        Integer.toString(count),
        "-i",
        "0.2",
        "-W",
        "1",
        "-M",
        "do",
        "-s",
        Integer.toString(payloadBytes),
        to);
  }

  /**
   * With 1000-byte frames at most, the capture keeps 1000 bytes: 1442-byte pings arrive truncated
   * to exactly what the switch would accept, so only the original length can tell them apart.
   */
  @Test
  void framesCutByTheSnaplenAreCountedAndNeverForwarded() {
    startSwitch(1000);
    assertThat(sw.port("pa").describe()).contains("snaplen 1000");
    ping(nsA, IP_B, 56, 1).orThrow("small ping A -> B (resolves ARP)");
    long oversize = count("pa", PortCounter.DROP_OVERSIZE);
    long txBytes = count("pb", PortCounter.TX_BYTES);

    TestNet.Result big = ping(nsA, IP_B, 1400, 3);

    assertThat(big.exit()).as("1442-byte pings must not be answered").isNotZero();
    assertThat(count("pa", PortCounter.DROP_OVERSIZE) - oversize).isGreaterThanOrEqualTo(3);
    assertThat(count("pb", PortCounter.TX_BYTES) - txBytes)
        .as("bytes sent to B: a forwarded truncated frame would add 1000")
        .isLessThan(1000);
  }

  private void setMtu(int mtu) {
    String m = Integer.toString(mtu);
    for (String dev : new String[] {hostA, hostB}) {
      TestNet.run("ip", "link", "set", dev, "mtu", m).orThrow("mtu " + dev);
    }
    net.inNs(nsA, "ip", "link", "set", net.prefix() + "an", "mtu", m).orThrow("mtu an");
    net.inNs(nsB, "ip", "link", "set", net.prefix() + "bn", "mtu", m).orThrow("mtu bn");
  }

  /**
   * MTU 1500 → 9000 → 1500 on every end while the switch runs: the ports reopen their captures with
   * snaplen 9018, so jumbo frames pass, and then with 1518 again.
   */
  @Test
  void theSnaplenFollowsTheMtuSoJumboFramesPassAfterARaise() {
    startSwitch(65_535);
    assertThat(sw.port("pa").describe()).contains("snaplen 1518");
    ping(nsA, IP_B, 56, 1).orThrow("small ping A -> B");
    setMtu(9000);

    Await.until(
        "a 9014-byte ping answered through the switch",
        WAIT,
        () -> ping(nsA, IP_B, 8972, 1).exit() == 0);

    ping(nsB, IP_A, 8972, 2).orThrow("jumbo ping B -> A");
    for (String p : new String[] {"pa", "pb"}) {
      assertThat(sw.port(p).describe()).as(p).contains("snaplen 9018");
      assertThat(count(p, PortCounter.DROP_SEND_ERROR)).as(p + " send errors").isZero();
      assertThat(count(p, PortCounter.DROP_GSO)).as(p + " drop_gso").isZero();
    }

    setMtu(1500);
    Await.until( // a blocked capture sees the new MTU only when frames arrive
        "both captures reopened with snaplen 1518",
        WAIT,
        () ->
            ping(nsA, IP_B, 56, 1).exit() == 0
                && sw.port("pa").describe().contains("snaplen 1518")
                && sw.port("pb").describe().contains("snaplen 1518"));
    ping(nsA, IP_B, 1472, 2).orThrow("1514-byte ping A -> B after lowering the MTU");
  }
}
