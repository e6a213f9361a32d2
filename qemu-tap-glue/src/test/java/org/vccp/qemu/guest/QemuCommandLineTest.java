package org.vccp.qemu.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.file.Path;
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
            .extraArgs("-qmp", "unix:/run/g1.qmp,server=on,wait=off")
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
                + " vccp.interval_ms=200 vccp.timeout_s=120 quiet panic=-1",
            "-serial",
            "file:/logs/g1.serial.log",
            "-netdev",
            "stream,id=n0,server=on,addr.type=unix,addr.path=/run/g1.sock",
            "-device",
            "virtio-net-pci,netdev=n0,mac=52:54:00:00:00:01,romfile=",
            "-qmp",
            "unix:/run/g1.qmp,server=on,wait=off");
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
