package org.vccp.vnet.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vccp.vnet.frame.MacAddress;
import org.vccp.vnet.port.PortSpec;

/** Switch config files and port specs: what they accept and how they refuse. */
class SwitchConfigFileTest {
  @TempDir Path dir;

  private Path write(String yaml) throws Exception {
    Path f = dir.resolve("switch.yaml");
    Files.writeString(f, yaml);
    return f;
  }

  @Test
  void readsPortsVlansStaticMacsAndSettings() throws Exception {
    Path f =
        write(
            """
            aging-seconds: 60
            egress-queue-bytes: 2MiB
            metrics-port: 9100
            ports:
              - {name: g1, listen: "unix:/tmp/g1.sock"}
              - {name: g2, connect: "unix:/tmp/g2.sock", lossless: true, vlan: 10}
              - {name: up, connect: "tcp:127.0.0.1:5555", trunk: [10, 20], native: 1}
              - {name: d, dgram: "udp:127.0.0.1:6000", remote: "udp:127.0.0.1:6001"}
            macs:
              - {mac: "52:54:00:00:00:01", port: g1, vlan: 1}
            """);
    SwitchContext ctx = SwitchConfigFile.read(f, new SwitchContext()).validate();
    assertThat(ctx.agingSeconds).isEqualTo(60);
    assertThat(ctx.egressQueueBytes).isEqualTo(2 << 20);
    assertThat(ctx.metricsPort).isEqualTo(9100);
    assertThat(ctx.ports).extracting(PortSpec::name).containsExactly("g1", "g2", "up", "d");
    PortSpec g2 = ctx.ports.get(1);
    assertThat(g2.mode()).isEqualTo(PortSpec.Mode.CONNECT);
    assertThat(g2.lossless()).isTrue();
    assertThat(g2.vlan().accessVlan()).isEqualTo(10);
    PortSpec up = ctx.ports.get(2);
    assertThat(up.vlan().isTrunk()).isTrue();
    assertThat(up.vlan().carries(20)).isTrue();
    assertThat(up.vlan().carries(30)).isFalse();
    assertThat(up.vlan().untagged(1)).isTrue();
    assertThat(ctx.staticMacs)
        .containsExactly(
            new SwitchContext.StaticMac(MacAddress.parse("52:54:00:00:00:01"), "g1", 1));
  }

  @Test
  void unknownSettingNamesTheFileAndTheKey() throws Exception {
    Path f = write("agin-seconds: 5\n");
    assertThatThrownBy(() -> SwitchConfigFile.read(f, new SwitchContext()))
        .hasMessageContaining("switch.yaml")
        .hasMessageContaining("agin-seconds");
  }

  @Test
  void forwardOnIngressAndNiceAreReadAndCheckedByType() throws Exception {
    SwitchContext defaults = new SwitchContext().validate();
    assertThat(defaults.forwardOnIngress).isTrue();
    assertThat(defaults.nice).isNull();
    SwitchContext ctx =
        SwitchConfigFile.read(write("forward-on-ingress: false\nnice: -10\n"), new SwitchContext())
            .validate();
    assertThat(ctx.forwardOnIngress).isFalse();
    assertThat(ctx.nice).isEqualTo(-10);
    assertThat(ctx.describe()).contains("forward-on-ingress=false").contains("nice=-10");
    assertThatThrownBy(
            () -> SwitchConfigFile.read(write("forward-on-ingress: maybe\n"), new SwitchContext()))
        .hasMessageContaining("forward-on-ingress must be true or false, got \"maybe\"");
    assertThatThrownBy(() -> SwitchConfigFile.read(write("nice: high\n"), new SwitchContext()))
        .hasMessageContaining("nice must be a whole number");
    assertThatThrownBy(
            () -> SwitchConfigFile.read(write("nice: -21\n"), new SwitchContext()).validate())
        .hasMessageContaining("nice must be -20..19, got -21");
  }

  @Test
  void validationNamesTheConstraint() {
    SwitchContext ctx = new SwitchContext();
    ctx.ringSlots = 1000;
    assertThatThrownBy(ctx::validate).hasMessageContaining("ring-slots must be a power of two");
  }

  @Test
  void portSpecsRoundTripThroughTheFlagForm() {
    for (String flag :
        new String[] {
          "g1,listen=unix:/tmp/g1.sock",
          "g2,connect=tcp:127.0.0.1:5555,lossless,vlan=10",
          "t,listen=unix:/tmp/t.sock,trunk=10:20:30,native=1",
          "d,dgram=udp:127.0.0.1:6000,remote=udp:127.0.0.1:6001,queue=262144",
          "up,pcap=eth1,offload,trunk=10:20,native=1"
        }) {
      assertThat(PortSpec.parse(flag).toFlag()).isEqualTo(flag);
    }
  }

  @Test
  void badPortSpecsSayWhatIsWrong() {
    assertThatThrownBy(() -> PortSpec.parse("g1")).hasMessageContaining("needs listen=ADDR");
    assertThatThrownBy(() -> PortSpec.parse("g1,listen=unix:/a,connect=unix:/b"))
        .hasMessageContaining("only one of");
    assertThatThrownBy(() -> PortSpec.parse("g1,listen=udp:1.2.3.4:5"))
        .hasMessageContaining("udp: addresses are for dgram");
    assertThatThrownBy(() -> PortSpec.parse("g1,dgram=udp:127.0.0.1:5"))
        .hasMessageContaining("remote=");
    assertThatThrownBy(() -> PortSpec.parse("g1,listen=unix:/a,vlan=5000"))
        .hasMessageContaining("out of range");
    assertThatThrownBy(() -> PortSpec.parse("g1,listen=unix:/a,colour=red"))
        .hasMessageContaining("unknown setting 'colour'");
    assertThatThrownBy(() -> PortSpec.parse("bad name,listen=unix:/a"))
        .hasMessageContaining("port name");
    assertThatThrownBy(() -> PortSpec.parse("g1,listen=unix:/a,offload"))
        .hasMessageContaining("offload is for interfaces (pcap=IFNAME)");
    assertThatThrownBy(() -> PortSpec.parse("up,pcap=eth1,offload=maybe"))
        .hasMessageContaining("offload='maybe' must be on or off");
  }
}
