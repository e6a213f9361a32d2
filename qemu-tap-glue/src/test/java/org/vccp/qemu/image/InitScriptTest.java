package org.vccp.qemu.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Keeps /init, {@link GuestParams} and {@link Workload} in step without booting anything. */
class InitScriptTest {

  private final String init = GuestImageKit.initScript();

  @Test
  void understandsEveryParameterGuestParamsWrites() {
    GuestParams params =
        GuestParams.builder("g1")
            .ip("10.0.0.1")
            .peer("10.0.0.2")
            .workloads(Workload.UDP_SEQ_SEND)
            .build();
    for (String arg : params.toKernelArgs().split(" ")) {
      String key = arg.substring(0, arg.indexOf('='));
      assertThat(init).as("/init reads %s", key).contains("    " + key + "=*)");
    }
  }

  @Test
  void runsEveryWorkloadTheEnumNames() {
    for (Workload workload : Workload.values()) {
      assertThat(init).contains("    " + workload.paramName() + ")");
    }
  }

  @Test
  void loadsTheModulesTheKitPacks() {
    assertThat(init).contains("</lib/modules/load-order");
  }

  @Test
  void isValidBusyboxShell(@TempDir Path dir) throws Exception {
    Path busybox = Path.of("/bin/busybox");
    Assumptions.assumeTrue(Files.isExecutable(busybox), "no /bin/busybox to check /init with");
    Path script = Files.writeString(dir.resolve("init"), init);

    Process check =
        new ProcessBuilder(List.of(busybox.toString(), "sh", "-n", script.toString()))
            .redirectErrorStream(true)
            .start();

    assertThat(check.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(check.exitValue()).as(new String(check.getInputStream().readAllBytes())).isZero();
  }
}
