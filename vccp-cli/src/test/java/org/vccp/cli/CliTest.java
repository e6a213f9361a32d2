package org.vccp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
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

  private record Run(int status, String out, String err) {}

  private static Run run(String... args) {
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      var cl = Main.commandLine();
      cl.setOut(new java.io.PrintWriter(System.out, true));
      cl.setErr(new java.io.PrintWriter(System.err, true));
      int status = cl.execute(args);
      return new Run(
          status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
  }

  @Test
  void helpListsEveryCommand() {
    Run r = run("--help");
    assertThat(r.status()).isZero();
    assertThat(r.out()).contains("switch").contains("ctl").contains("demo").contains("guest-image");
    for (String cmd : new String[] {"switch", "ctl", "demo", "guest-image"}) {
      assertThat(run(cmd, "--help").status()).as(cmd + " --help").isZero();
    }
    Run build = run("guest-image", "build", "--help");
    assertThat(build.status()).isZero();
    assertThat(build.out()).contains("--cache-home").contains("from the cache");
    assertThat(run("guest-image", "path", "--help").status()).isZero();
    assertThat(run("guest-image").out()).contains("build").contains("path");
  }

  @Test
  void switchThatCannotBindSaysWhereAndWhyInOneLineAndExitsNonZero() {
    Run r =
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
    Run r =
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
      Run ports = run("ctl", "--socket", sock, "ports");
      assertThat(ports.status()).isZero();
      assertThat(ports.out()).contains("p0").contains("waiting for guest");
      Run add =
          run("ctl", "--socket", sock, "add-port", "p1,listen=unix:" + dir.resolve("p1.sock"));
      assertThat(add.status()).isZero();
      assertThat(d.virtualSwitch().port("p1")).isNotNull();
      Run dup =
          run("ctl", "--socket", sock, "add-port", "p1,listen=unix:" + dir.resolve("p9.sock"));
      assertThat(dup.status()).isEqualTo(1);
      assertThat(dup.err()).contains("already exists");
      Run stats = run("ctl", "--socket", sock, "--json", "stats");
      assertThat(stats.out()).contains("\"rx_frames\"");
      assertThat(run("ctl", "--socket", sock, "del-port", "p1").status()).isZero();
    }
  }

  @Test
  void guestImagePathWithoutACachedImageSaysToBuildOne() {
    Run r = run("guest-image", "path", "--cache-home", dir.toString());
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

    Run cold = run("guest-image", "build", "--cache-home", cache);
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

    Run warm = run("guest-image", "build", "--cache-home", cache);
    assertThat(warm.status()).isZero();
    assertThat(warm.out()).doesNotContain("downloading").contains("source  cache (");
    assertThat(line(warm.out(), "kernel  ")).isEqualTo(kernel);

    Run path = run("guest-image", "path", "--cache-home", cache);
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
    Run r = run("ctl", "--socket", dir.resolve("none.sock").toString(), "ports");
    assertThat(r.status()).isEqualTo(1);
    assertThat(r.err()).contains("is `vccp switch` running?");
  }
}
