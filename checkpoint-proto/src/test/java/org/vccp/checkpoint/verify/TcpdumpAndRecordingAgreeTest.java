package org.vccp.checkpoint.verify;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vccp.vnet.VirtualSwitch;
import org.vccp.vnet.config.SwitchContext;
import org.vccp.vnet.port.PortSpec;
import org.vccp.vnet.testing.TestNet;

/**
 * A real run: two network namespaces behind veths whose host ends are pcap ports of a recording
 * switch, the kernels pinging each other, and real tcpdump on each veth. {@code vccp verify} on our
 * recording and on the two tcpdump captures of the same run gives the same verdict and sees the
 * same frames delivered.
 */
@Tag("root")
class TcpdumpAndRecordingAgreeTest {
  @TempDir Path dir;
  private TestNet net;
  private VirtualSwitch sw;
  private final List<Process> dumps = new java.util.ArrayList<>();

  @AfterEach
  void tearDown() {
    for (Process p : dumps) {
      p.destroyForcibly();
    }
    if (sw != null) {
      sw.close();
    }
    if (net != null) {
      net.close();
    }
  }

  private Process tcpdump(String dev, Path file) throws Exception {
    Path log = dir.resolve(dev + ".log");
    Process p =
        new ProcessBuilder(
                "tcpdump", "-i", dev, "-s", "0", "-U", "--immediate-mode", "-w", file.toString())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    dumps.add(p);
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (!Files.readString(log).contains("listening on")) {
      assertThat(p.isAlive()).as("tcpdump on " + dev + ": " + Files.readString(log)).isTrue();
      assertThat(System.nanoTime()).as("tcpdump on " + dev + " started").isLessThan(deadline);
      Thread.sleep(20);
    }
    return p;
  }

  private static VerifyReport verify(Path... inputs) throws Exception {
    VerifyContext ctx = new VerifyContext();
    ctx.inputs.addAll(List.of(inputs));
    VerifyReport r = Verifier.run(ctx.validate(), System.out);
    r.print(System.out, 20);
    return r;
  }

  private static long delivered(VerifyReport r) {
    return r.channels().stream().mapToLong(ChannelStats::delivered).sum();
  }

  @Test
  void verifyGivesTheSameVerdictOnTcpdumpCapturesAndOnTheSwitchRecording() throws Exception {
    String why = TestNet.unusableReason();
    Assumptions.assumeTrue(why == null, why);
    Assumptions.assumeTrue(
        Files.isExecutable(Path.of("/usr/bin/tcpdump")),
        "tcpdump is not installed (scripts/test.sh installs it)");
    net = new TestNet();
    TestNet.TwoHosts hosts = net.twoHosts("10.99.72.1/24", "10.99.72.2/24");
    String nsA = hosts.nsA();
    String nsB = hosts.nsB();
    String hostA = hosts.hostA();
    String hostB = hosts.hostB();
    for (String ns : List.of(nsA, nsB)) {
      net.inNs(ns, "sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1")
          .orThrow("no IPv6 chatter");
    }
    Path pa = dir.resolve("a.pcap");
    Path pb = dir.resolve("b.pcap");
    Process da = tcpdump(hostA, pa);
    Process db = tcpdump(hostB, pb);

    SwitchContext ctx = new SwitchContext();
    ctx.recordDir = dir.resolve("rec");
    ctx.ports.add(PortSpec.pcap("pa", hostA));
    ctx.ports.add(PortSpec.pcap("pb", hostB));
    sw = VirtualSwitch.start(ctx);
    net.inNs(nsA, "ping", "-c", "200", "-i", "0.005", "-W", "2", "10.99.72.2")
        .orThrow("ping A -> B");
    net.inNs(nsB, "ping", "-c", "100", "-i", "0.005", "-s", "1400", "-W", "2", "10.99.72.1")
        .orThrow("ping B -> A");
    Thread.sleep(300);
    sw.stopRecording();
    for (Process p : List.of(da, db)) {
      new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).start().waitFor();
      assertThat(p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    }

    VerifyReport recording = verify(ctx.recordDir);
    VerifyReport captures = verify(pa, pb);
    assertThat(recording.exitStatus()).as("verdict on the switch recording").isZero();
    assertThat(captures.exitStatus()).as("verdict on the tcpdump captures").isZero();
    assertThat(delivered(recording)).as("frames delivered, recording").isGreaterThanOrEqualTo(600);
    assertThat(delivered(captures))
        .as("same frames delivered in both")
        .isEqualTo(delivered(recording));
  }
}
