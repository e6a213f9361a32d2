package org.vccp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vccp.qemu.sim.SimGuestOptions;
import picocli.CommandLine;

/** {@code vccp sim-guest}: help, the same options as the library parser, and a real process. */
class SimGuestCommandTest {
  @TempDir Path dir;

  private List<String> args() {
    return List.of(
        "--name", "g1",
        "--qmp", "unix:" + dir.resolve("g1.qmp"),
        "--netdev", "stream,addr=unix:" + dir.resolve("g1.sock") + ",server=on",
        "--mac", "52:54:00:00:00:01",
        "--ip", "10.0.0.1",
        "--peer", "10.0.0.2",
        "--workload", "udp-seq-send",
        "--rate", "500",
        "--serial", dir.resolve("g1.serial").toString());
  }

  @Test
  void helpNamesEveryOption() {
    StringWriter out = new StringWriter();
    CommandLine cl = Main.commandLine();
    cl.setOut(new PrintWriter(out, true));
    assertThat(cl.execute("sim-guest", "--help")).isZero();
    assertThat(out.toString())
        .contains("--qmp=unix:PATH")
        .contains("--netdev=stream,addr=unix:PATH,server=on|off")
        .contains("--workload=udp-seq-send|udp-seq-recv|echo|idle")
        .contains("--incoming=defer")
        .contains("--serial");
  }

  @Test
  void picocliAndTheLibraryParserAgree() {
    SimGuestCommand command = new SimGuestCommand();
    new CommandLine(command).parseArgs(args().toArray(String[]::new));
    SimGuestOptions viaPicocli = command.options();
    assertThat(viaPicocli).isEqualTo(SimGuestOptions.parse(args()));
    assertThat(SimGuestOptions.parse(viaPicocli.toArgs())).isEqualTo(viaPicocli);
  }

  @Test
  void aBadNetdevIsAOneLineUsageError() {
    StringWriter err = new StringWriter();
    CommandLine cl = Main.commandLine();
    cl.setErr(new PrintWriter(err, true));
    List<String> bad = new ArrayList<>(args());
    bad.set(bad.indexOf("--netdev") + 1, "socket,listen=:1234");
    assertThat(cl.execute(bad.toArray(String[]::new))).isNotZero();
    assertThat(cl.execute(prepend("sim-guest", bad))).isNotZero();
    assertThat(err.toString()).contains("must start with 'stream,'");
  }

  @Test
  void runsAsItsOwnProcessAndQuitsOnQmpQuit() throws Exception {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(
        List.of("-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path")));
    command.add(Main.class.getName());
    command.add("sim-guest");
    command.addAll(args());
    Process process =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("g1.log").toFile())
            .start();
    try {
      Path qmp = dir.resolve("g1.qmp");
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      SocketChannel channel = null;
      while (channel == null) {
        assertThat(process.isAlive()).as("sim-guest is running").isTrue();
        assertThat(System.nanoTime()).as("QMP socket within 60 s").isLessThan(deadline);
        if (Files.exists(qmp)) {
          SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
          try {
            c.connect(UnixDomainSocketAddress.of(qmp));
            channel = c;
          } catch (java.io.IOException e) {
            c.close();
          }
        }
        if (channel == null) {
          Thread.sleep(20);
        }
      }
      try (SocketChannel c = channel) {
        BufferedReader in =
            new BufferedReader(
                new InputStreamReader(Channels.newInputStream(c), StandardCharsets.UTF_8));
        assertThat(in.readLine()).startsWith("{\"QMP\":{\"version\":");
        write(c, "{\"execute\":\"qmp_capabilities\"}");
        assertThat(in.readLine()).isEqualTo("{\"return\":{}}");
        write(c, "{\"execute\":\"quit\",\"id\":9}");
        assertThat(in.readLine()).isEqualTo("{\"return\":{},\"id\":9}");
      }
      assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat(process.exitValue()).isZero();
      assertThat(Files.readString(dir.resolve("g1.serial"))).startsWith("VCCP BOOT name=g1 ");
    } finally {
      process.destroyForcibly();
    }
  }

  private static String[] prepend(String first, List<String> rest) {
    List<String> all = new ArrayList<>();
    all.add(first);
    all.addAll(rest);
    return all.toArray(String[]::new);
  }

  private static void write(SocketChannel c, String line) throws java.io.IOException {
    ByteBuffer b = ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8));
    while (b.hasRemaining()) {
      c.write(b);
    }
  }
}
