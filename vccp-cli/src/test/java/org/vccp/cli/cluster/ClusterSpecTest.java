package org.vccp.cli.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Cluster files: the optional agent block and the errors that name what is wrong. */
class ClusterSpecTest {
  private static final String GUESTS = "guests:\n  - {name: g1, ip: 10.0.0.1/24}\n";

  @TempDir Path dir;

  private ClusterSpec read(String yaml) throws Exception {
    Path file = dir.resolve("cluster.yaml");
    Files.writeString(file, yaml);
    return ClusterSpec.read(file);
  }

  @Test
  void anAgentBlockGivesTheListenAddressAndTokenFile() throws Exception {
    ClusterSpec s =
        read(GUESTS + "agent: {listen: 127.0.0.1:7070, token_file: secrets/agent.token}\n");
    assertThat(s.agent.host()).isEqualTo("127.0.0.1");
    assertThat(s.agent.port()).isEqualTo(7070);
    assertThat(s.agent.tokenFile).isEqualTo("secrets/agent.token");
    assertThat(read(GUESTS).agent).isNull();
  }

  @Test
  void aBadAgentBlockIsRefusedWithWhatToWrite() {
    assertThatThrownBy(() -> read(GUESTS + "agent: {listen: 7070, token_file: t}\n"))
        .hasMessageContaining("agent.listen '7070' must be HOST:PORT");
    assertThatThrownBy(() -> read(GUESTS + "agent: {listen: 0.0.0.0:7070}\n"))
        .hasMessageContaining("agent.token_file is required");
    assertThatThrownBy(() -> read(GUESTS + "agent: {listen: h:1, token: x}\n"))
        .hasMessageContaining("not a valid cluster file");
  }
}
