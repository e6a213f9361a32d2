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

  private VccpSwitchPeer peer;

  /** Starts nothing: builds the command of a recording peer with {@code --record-dir}. */
  private Path recordingPath(Path recordDir, Path runDir) {
    peer =
        new VccpSwitchPeer(
            Path.of("vccp.jar"), List.of(), List.of(), PeerOptions.VCCP_RECORDING, recordDir);
    List<String> command = peer.command(List.of(runDir.resolve("p0.sock")));
    return Path.of(command.get(command.indexOf("--record") + 1));
  }

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
    Path recording = recordingPath(recordDir, runDir);
    assertThat(recording.getParent()).isEqualTo(recordDir);
    Files.createDirectories(recording);
    Files.write(recording.resolve("switch-abc-000000.pcapng"), new byte[4096]);

    peer.close();
    peer.close(); // a failed start closes, then the runner does: nothing left to do, no error

    assertThat(recording).doesNotExist();
    assertThat(keep).exists();
  }

  /**
   * {@code --record-dir} set to the run directory's parent (the temp directory) makes the recording
   * path the run's directory itself: the runner removes that, and the peer must not, or the
   * switch's log is gone before a failed run can show it.
   */
  @Test
  void aRecordDirThatResolvesToTheRunDirectoryIsLeftToTheRunner() throws Exception {
    Path runDir = Files.createDirectory(tmp.resolve("vccp-perf-2"));
    Path log = Files.writeString(runDir.resolve("vccp-switch.log"), "switch said why");
    assertThat(recordingPath(tmp, runDir)).isEqualTo(runDir);

    peer.close();

    assertThat(log).exists();
  }

  /** A recording directory that was there before the run is not the run's to remove. */
  @Test
  void aRecordingDirectoryThatExistedBeforeIsKept() throws Exception {
    Path runDir = Files.createDirectory(tmp.resolve("vccp-perf-3"));
    Path recordDir = Files.createDirectory(tmp.resolve("shm"));
    Path before = Files.createDirectory(recordDir.resolve("vccp-perf-3"));
    assertThat(recordingPath(recordDir, runDir)).isEqualTo(before);

    peer.close();

    assertThat(before).exists();
  }
}
