package org.vccp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vccp.qemu.guest.QemuCommandLine;
import org.vccp.vnet.config.SwitchContext;
import org.vccp.vnet.control.SwitchDaemon;
import org.vccp.vnet.port.PortAddress;
import org.vccp.vnet.port.PortSpec;

/** The {@code vccp} command line: help, exit statuses, one-line errors, ctl against a switch. */
class CliTest {
  @TempDir Path dir;

  private static CliRun run(String... args) {
    return CliRun.of(args);
  }

  @Test
  void helpListsEveryCommand() {
    CliRun r = run("--help");
    assertThat(r.status()).isZero();
    assertThat(r.out()).contains("switch").contains("ctl").contains("demo").contains("guest-image");
    for (String cmd : new String[] {"switch", "ctl", "demo", "guest-image"}) {
      assertThat(run(cmd, "--help").status()).as(cmd + " --help").isZero();
    }
    CliRun build = run("guest-image", "build", "--help");
    assertThat(build.status()).isZero();
    assertThat(build.out()).contains("--cache-home").contains("from the cache");
    assertThat(run("guest-image", "path", "--help").status()).isZero();
    assertThat(run("guest-image").out()).contains("build").contains("path");
  }

  @Test
  void switchThatCannotBindSaysWhereAndWhyInOneLineAndExitsNonZero() {
    CliRun r =
        run(
            "switch",
            "--control",
            dir.resolve("ctl.sock").toString(),
            "--port",
            "g1,listen=unix:" + dir.resolve("no/such/dir/g1.sock"));
    assertThat(r.status()).isEqualTo(1);
    assertThat(r.err().strip().lines().filter(l -> l.startsWith("vccp switch:")).toList())
        .singleElement()
        .asString()
        .contains("port g1")
        .contains("no/such/dir/g1.sock")
        .contains("does not exist");
  }

  @Test
  void badPortSpecIsAOneLineError() {
    CliRun r =
        run("switch", "--control", dir.resolve("c.sock").toString(), "--port", "g1,listen=ftp:x");
    assertThat(r.status()).isEqualTo(1);
    assertThat(r.err()).contains("port g1").contains("unix:/path");
  }

  @Test
  void ctlTalksToARunningSwitch() {
    SwitchContext ctx = new SwitchContext();
    ctx.controlSocket = dir.resolve("ctl.sock");
    ctx.ports.add(PortSpec.listen("p0", PortAddress.unix(dir.resolve("p0.sock"))));
    try (SwitchDaemon d = SwitchDaemon.start(ctx)) {
      String sock = ctx.controlSocket.toString();
      CliRun ports = run("ctl", "--socket", sock, "ports");
      assertThat(ports.status()).isZero();
      assertThat(ports.out()).contains("p0").contains("waiting for guest");
      CliRun add =
          run("ctl", "--socket", sock, "add-port", "p1,listen=unix:" + dir.resolve("p1.sock"));
      assertThat(add.status()).isZero();
      assertThat(d.virtualSwitch().port("p1")).isNotNull();
      CliRun dup =
          run("ctl", "--socket", sock, "add-port", "p1,listen=unix:" + dir.resolve("p9.sock"));
      assertThat(dup.status()).isEqualTo(1);
      assertThat(dup.err()).contains("already exists");
      CliRun stats = run("ctl", "--socket", sock, "--json", "stats");
      assertThat(stats.out()).contains("\"rx_frames\"");
      assertThat(run("ctl", "--socket", sock, "del-port", "p1").status()).isZero();
    }
  }

  @Test
  void guestImagePathWithoutACachedImageSaysToBuildOne() {
    CliRun r = run("guest-image", "path", "--cache-home", dir.toString());
    assertThat(r.status()).isEqualTo(1);
    assertThat(r.out()).isEmpty();
    assertThat(r.err().strip())
        .startsWith("vccp guest-image path: ")
        .contains(dir.resolve("vccp/guest-image").toString())
        .endsWith("run `vccp guest-image build` first");
  }

  @Test
  @Tag("qemu")
  void guestImageBuildReportsItsStepsThenTheCacheAndPathAgrees() {
    Assumptions.assumeTrue(
        QemuCommandLine.qemuAvailable(),
        "qemu-system-x86_64 is not on the PATH: install qemu-system-x86 to run real-guest tests");
    String cache = dir.toString();

    CliRun cold = run("guest-image", "build", "--cache-home", cache);
    assertThat(cold.status()).as(cold.err()).isZero();
    assertThat(cold.out())
        .contains("] resolving package versions")
        .contains("] downloading linux-image-")
        .contains("] packing the initramfs")
        .containsPattern("(?m)^source  built now in [0-9.]+ s into " + dir);
    String kernel = line(cold.out(), "kernel  ");
    String initrd = line(cold.out(), "initrd  ");
    assertThat(Path.of(kernel)).isRegularFile().startsWith(dir.resolve("vccp/guest-image"));
    assertThat(Path.of(initrd)).isRegularFile().hasFileName("initramfs.cpio.gz");

    CliRun warm = run("guest-image", "build", "--cache-home", cache);
    assertThat(warm.status()).isZero();
    assertThat(warm.out()).doesNotContain("downloading").contains("source  cache (");
    assertThat(line(warm.out(), "kernel  ")).isEqualTo(kernel);

    CliRun path = run("guest-image", "path", "--cache-home", cache);
    assertThat(path.status()).isZero();
    assertThat(path.out()).isEqualTo("kernel  " + kernel + "\ninitrd  " + initrd + "\n");
  }

  private static String line(String out, String prefix) {
    return out.lines()
        .filter(l -> l.startsWith(prefix))
        .map(l -> l.substring(prefix.length()))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no line starting '" + prefix + "' in: " + out));
  }

  @Test
  void ctlWithoutASwitchSaysWhatToDo() {
    CliRun r = run("ctl", "--socket", dir.resolve("none.sock").toString(), "ports");
    assertThat(r.status()).isEqualTo(1);
    assertThat(r.err()).contains("is `vccp switch` running?");
  }
}
