package org.vccp.qemu.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.vccp.qemu.image.GuestParams;
import org.vccp.qemu.image.Workload;

class QemuCommandLineTest {

  private static GuestSpec.Builder g1() {
    return GuestSpec.builder("g1")
        .accel(Accel.TCG)
        .kernel(Path.of("/img/vmlinuz"))
        .initrd(Path.of("/img/initramfs.cpio.gz"))
        .params(
            GuestParams.builder("g1")
                .ip("10.0.0.1/24")
                .peer("10.0.0.2")
                .workloads(Workload.HTTP_SERVE, Workload.PING)
                .build())
        .serialLog(Path.of("/logs/g1.serial.log"));
  }

  @Test
  void buildsTheExactArgumentListForAUnixServerNic() {
    GuestSpec spec =
        g1().nic(
                NicSpec.stream(
                    "n0", NicSpec.localMac(1), StreamSocket.unix(Path.of("/run/g1.sock"), true)))
            .extraArgs("-rtc", "base=utc")
            .build();

    assertThat(QemuCommandLine.build(spec))
        .containsExactly(
            "qemu-system-x86_64",
            "-name",
            "g1",
            "-accel",
            "tcg",
            "-machine",
            "q35",
            "-m",
            "128",
            "-smp",
            "1",
            "-nodefaults",
            "-nographic",
            "-no-reboot",
            "-kernel",
            "/img/vmlinuz",
            "-initrd",
            "/img/initramfs.cpio.gz",
            "-append",
            "console=ttyS0 vccp.name=g1 vccp.ip=10.0.0.1/24 vccp.peer=10.0.0.2"
                + " vccp.workload=http-serve,ping vccp.size_mb=8 vccp.count=3 vccp.port=80"
                + " vccp.interval_ms=200 vccp.timeout_s=120 quiet no_timer_check panic=-1",
            "-serial",
            "file:/logs/g1.serial.log",
            "-qmp",
            "unix:/logs/g1.qmp,server=on,wait=off",
            "-netdev",
            "stream,id=n0,server=on,addr.type=unix,addr.path=/run/g1.sock",
            "-device",
            "virtio-net-pci,netdev=n0,mac=52:54:00:00:00:01,romfile=",
            "-rtc",
            "base=utc");
  }

  @Test
  void restoreModeIsTheSameCommandLinePlusPausedIncomingDefer() {
    GuestSpec spec = g1().runDir(Path.of("/run/vccp")).build();

    List<String> normal = QemuCommandLine.build(spec);
    List<String> incoming = QemuCommandLine.buildIncoming(spec);

    assertThat(normal)
        .containsSequence("-serial", "file:/run/vccp/g1.serial.log")
        .containsSequence("-qmp", "unix:/run/vccp/g1.qmp,server=on,wait=off")
        .doesNotContain("-incoming");
    assertThat(incoming)
        .startsWith(normal.toArray(String[]::new))
        .endsWith("-S", "-incoming", "defer")
        .hasSize(normal.size() + 3);
  }

  @Test
  void writesTapNicsWithAndWithoutScripts() {
    GuestSpec spec =
        g1().nic(NicSpec.tap("n0", NicSpec.localMac(1), TapDevice.existing("vccp-t1")))
            .nic(
                NicSpec.tap(
                    "n1",
                    NicSpec.localMac(2),
                    TapDevice.withScripts(
                            "tap1",
                            Path.of("/etc/vccp/vccp-ifup"),
                            Path.of("/etc/vccp/vccp-ifdown"))
                        .withVnetHdr(false)))
            .build();

    assertThat(QemuCommandLine.build(spec))
        .containsSequence(
            "-netdev",
            "tap,id=n0,ifname=vccp-t1,script=no,downscript=no",
            "-device",
            "virtio-net-pci,netdev=n0,mac=52:54:00:00:00:01,romfile=",
            "-netdev",
            "tap,id=n1,ifname=tap1,script=/etc/vccp/vccp-ifup,downscript=/etc/vccp/vccp-ifdown"
                + ",vnet_hdr=off",
            "-device",
            "virtio-net-pci,netdev=n1,mac=52:54:00:00:00:02,romfile=");
  }

  @Test
  void writesBridgeHelperNics() {
    GuestSpec spec =
        g1().nic(
                NicSpec.bridge(
                    "n0",
                    NicSpec.localMac(1),
                    BridgeHelper.of("sw0", Path.of("/usr/lib/vccp/vccp-bridge-helper"))))
            .nic(NicSpec.bridge("n1", NicSpec.localMac(2), BridgeHelper.qemuDefault("br0")))
            .build();

    assertThat(QemuCommandLine.build(spec))
        .containsSequence(
            "-netdev",
            "bridge,id=n0,br=sw0,helper=/usr/lib/vccp/vccp-bridge-helper",
            "-device",
            "virtio-net-pci,netdev=n0,mac=52:54:00:00:00:01,romfile=",
            "-netdev",
            "bridge,id=n1,br=br0");
  }

  @Test
  void rejectsTapAndBridgeNamesQemuOrTheKernelWouldRefuse() {
    assertThatThrownBy(() -> TapDevice.existing("a-name-of-16-byt"))
        .hasMessageContaining("must be 1-15");
    assertThatThrownBy(() -> TapDevice.existing("tap 0")).hasMessageContaining("'tap 0'");
    assertThatThrownBy(() -> new TapDevice("tap0", "ifup", null, null))
        .hasMessageContaining("script must be an absolute path");
    assertThatThrownBy(() -> BridgeHelper.qemuDefault("br,0")).hasMessageContaining("'br,0'");
    assertThatThrownBy(() -> new BridgeHelper("br0", "helper"))
        .hasMessageContaining("helper must be an absolute path");
    assertThatThrownBy(() -> g1().qmpSocket(Path.of("/tmp/" + "q".repeat(110))).build())
        .hasMessageContaining("QMP socket path")
        .hasMessageContaining("over the limit of 107");
  }

  @Test
  void aSpecSurvivesJsonWithEveryKindOfNic() throws Exception {
    GuestSpec spec =
        g1().memoryMb(256)
            .nic(
                NicSpec.stream(
                    "n0", NicSpec.localMac(1), StreamSocket.unix(Path.of("/run/g1.sock"), true)))
            .nic(
                NicSpec.stream(
                    "n1", NicSpec.localMac(2), StreamSocket.tcp("127.0.0.1", 7001, false)))
            .nic(
                NicSpec.tap(
                    "n2", NicSpec.localMac(3), TapDevice.existing("tap3").withVnetHdr(true)))
            .nic(
                NicSpec.bridge(
                    "n3", NicSpec.localMac(4), BridgeHelper.of("sw0", Path.of("/opt/helper"))))
            .extraArgs("-rtc", "base=utc")
            .build();

    String json = spec.toJson();
    GuestSpec copy = GuestSpec.fromJson(json);

    assertThat(copy).isEqualTo(spec);
    assertThat(QemuCommandLine.build(copy)).isEqualTo(QemuCommandLine.build(spec));
    assertThat(json)
        .contains("\"qmpSocket\":\"/logs/g1.qmp\"")
        .contains("\"type\":\"stream\"")
        .contains("\"type\":\"tap\"")
        .contains("\"type\":\"bridge\"")
        .doesNotContain("\"unix\"");
    assertThat(GuestSpec.fromJson(new ObjectMapper().writeValueAsString(spec))).isEqualTo(spec);
  }

  @Test
  void aBadJsonSpecIsRejectedWithTheReason() {
    String json = g1().build().toJson().replace("\"memoryMb\":128", "\"memoryMb\":1");

    assertThatThrownBy(() -> GuestSpec.fromJson(json))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("memoryMb 1 is not 32..1048576");
    assertThatThrownBy(() -> GuestSpec.fromJson("{\"name\":"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("not a valid guest spec");
  }

  @Test
  void writesTcpClientsAndEscapesCommasInSocketPaths() {
    GuestSpec spec =
        g1().machine("pc")
            .memoryMb(256)
            .cpus(2)
            .nic(
                NicSpec.stream(
                    "n0", NicSpec.localMac(0x1234), StreamSocket.tcp("127.0.0.1", 7001, false)))
            .nic(
                NicSpec.stream(
                    "n1", NicSpec.localMac(2), StreamSocket.unix(Path.of("/run/a,b.sock"), true)))
            .build();

    assertThat(QemuCommandLine.build(spec))
        .containsSequence("-machine", "pc", "-m", "256", "-smp", "2")
        .containsSequence(
            "-netdev",
            "stream,id=n0,server=off,addr.type=inet,addr.host=127.0.0.1,addr.port=7001",
            "-device",
            "virtio-net-pci,netdev=n0,mac=52:54:00:00:12:34,romfile=")
        .contains("stream,id=n1,server=on,addr.type=unix,addr.path=/run/a,,b.sock");
  }

  @Test
  void equalSpecsGiveEqualCommandLinesAlsoAfterSerialisation() throws Exception {
    GuestSpec spec =
        g1().nic(
                NicSpec.stream(
                    "n0", NicSpec.localMac(1), StreamSocket.unix(Path.of("/run/g1.sock"), false)))
            .build();

    GuestSpec copy = roundTrip(spec);

    assertThat(copy).isEqualTo(spec);
    assertThat(QemuCommandLine.build(copy)).isEqualTo(QemuCommandLine.build(spec));
  }

  @Test
  void rejectsSpecsQemuWouldMisread() {
    StreamSocket socket = StreamSocket.unix(Path.of("/run/g1.sock"), true);
    assertThatThrownBy(
            () ->
                g1().nic(NicSpec.stream("n0", NicSpec.localMac(1), socket))
                    .nic(NicSpec.stream("n1", NicSpec.localMac(1), socket))
                    .build())
        .hasMessageContaining("two NICs have the MAC 52:54:00:00:00:01");
    assertThatThrownBy(() -> NicSpec.stream("n0", "01:00:5e:00:00:01", socket))
        .hasMessageContaining("unicast");
    assertThatThrownBy(() -> StreamSocket.unix(Path.of("/tmp/" + "x".repeat(120)), true))
        .hasMessageContaining("over the limit of 107");
    assertThatThrownBy(() -> g1().machine("virt").build()).hasMessageContaining("q35");
    assertThatThrownBy(() -> GuestSpec.builder("g1").accel(Accel.TCG).build())
        .hasMessageContaining("kernel must be an absolute path");
    assertThatThrownBy(() -> GuestSpec.builder("bad name").accel(Accel.TCG).build())
        .hasMessageContaining("guest name 'bad name'");
  }

  @Test
  void quotesTheCommandForTheQemuLog() {
    assertThat(QemuGuest.shellQuote(java.util.List.of("qemu", "-append", "console=ttyS0 quiet")))
        .isEqualTo("qemu -append 'console=ttyS0 quiet'");
  }

  private static GuestSpec roundTrip(GuestSpec spec) throws IOException, ClassNotFoundException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(spec);
    }
    try (ObjectInputStream in =
        new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      return (GuestSpec) in.readObject();
    }
  }
}
