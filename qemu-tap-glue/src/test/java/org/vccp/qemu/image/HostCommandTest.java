package org.vccp.qemu.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class HostCommandTest {

  @Test
  void aFailingToolBecomesOneLineWithAptsErrorAndTheHint() {
    List<String> command =
        List.of("sh", "-c", "echo 'W: noise' >&2; echo 'E: No packages found' >&2; exit 100");

    assertThatThrownBy(
            () ->
                HostCommand.runOrFail(
                    command, null, Duration.ofSeconds(10), "run apt-get update as root"))
        .isInstanceOf(GuestImageException.class)
        .hasMessageEndingWith("failed: E: No packages found; run apt-get update as root");
  }

  @Test
  void aMissingToolSaysWhatTheKitNeeds() {
    assertThatThrownBy(
            () ->
                HostCommand.run(
                    List.of("vccp-no-such-tool"), null, null, null, Duration.ofSeconds(10)))
        .hasMessageStartingWith("vccp-no-such-tool cannot be run")
        .hasMessageContaining("needs a Debian host with apt-get");
  }

  @Test
  void aSlowToolIsStoppedAtItsDeadline() {
    assertThatThrownBy(
            () -> HostCommand.run(List.of("sleep", "30"), null, null, null, Duration.ofMillis(200)))
        .hasMessage("sleep 30 did not finish within 200 ms");
  }

  @Test
  void returnsOutputOfASuccessfulTool() {
    HostCommand.Result result =
        HostCommand.runOrFail(List.of("echo", "hello"), null, Duration.ofSeconds(10), "");

    assertThat(result.succeeded()).isTrue();
    assertThat(result.stdout()).isEqualTo("hello\n");
  }
}
