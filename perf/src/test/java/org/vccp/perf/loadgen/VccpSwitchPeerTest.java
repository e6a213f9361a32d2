package org.vccp.perf.loadgen;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the switch peer leaves behind once it is closed. */
class VccpSwitchPeerTest {
  @TempDir Path tmp;

  /**
   * A recording peer with {@code --record-dir} records outside the run's directory (which the
   * runner removes): the peer removes that recording itself, or each run would leave gigabytes, in
   * RAM when the directory is /dev/shm.
   */
  @Test
  void aRecordingOutsideTheRunDirectoryIsRemovedOnClose() throws Exception {
    Path runDir = Files.createDirectory(tmp.resolve("vccp-perf-1"));
    Path recordDir = Files.createDirectory(tmp.resolve("shm"));
    Path keep = Files.createFile(recordDir.resolve("someone-elses.pcapng"));
    VccpSwitchPeer peer =
        new VccpSwitchPeer(
            Path.of("vccp.jar"), List.of(), List.of(), PeerOptions.VCCP_RECORDING, recordDir);
    List<String> command = peer.command(List.of(runDir.resolve("p0.sock")));
    Path recording = Path.of(command.get(command.indexOf("--record") + 1));
    assertThat(recording.getParent()).isEqualTo(recordDir);
    Files.createDirectories(recording);
    Files.write(recording.resolve("switch-abc-000000.pcapng"), new byte[4096]);

    peer.close();

    assertThat(recording).doesNotExist();
    assertThat(keep).exists();
  }
}
