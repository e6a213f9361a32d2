package org.vccp.checkpoint.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vccp.vnet.frame.Offload;
import org.vccp.vnet.hold.HeldFrame;

/**
 * A port's channel state keeps each frame's bytes, id, origin and offload word across a restore.
 */
class ChannelStateFileTest {
  @TempDir Path dir;

  @Test
  void aHeldSuperFrameKeepsItsOffloadWord() throws Exception {
    long w = Offload.pack(1, Offload.GSO_TCPV4, 1448, 34, 16);
    byte[] small = new byte[60];
    byte[] big = new byte[20_000];
    big[100] = 7;
    Path file = dir.resolve(ChannelStateFile.fileName("g1"));
    ChannelStateFile.write(
        file,
        "g1",
        3,
        List.of(
            new HeldFrame(10, "g2", 3, false, small), new HeldFrame(11, "up", 3, false, big, w)));

    List<HeldFrame> back = ChannelStateFile.read(file, 3);

    assertThat(back).extracting(HeldFrame::packetId).containsExactly(10L, 11L);
    assertThat(back).extracting(HeldFrame::origin).containsExactly("g2", "up");
    assertThat(back).extracting(HeldFrame::offload).containsExactly(0L, w);
    assertThat(back.get(1).frame()).isEqualTo(big);
  }

  @Test
  void aFrameShorterThanAnEthernetHeaderRefusesTheCheckpoint() throws Exception {
    Path file = dir.resolve(ChannelStateFile.fileName("g1"));
    ChannelStateFile.write(file, "g1", 3, List.of(new HeldFrame(11, "up", 3, false, new byte[9])));

    assertThatThrownBy(() -> ChannelStateFile.read(file, 3))
        .isInstanceOf(CheckpointRefusedException.class)
        .hasMessageContaining("9 of 9 bytes");
  }

  @Test
  void aMangledOffloadWordRefusesTheCheckpoint() throws Exception {
    long w = Offload.pack(1, Offload.GSO_TCPV4, 1448, 34, 16);
    Path file = dir.resolve(ChannelStateFile.fileName("g1"));
    ChannelStateFile.write(
        file, "g1", 3, List.of(new HeldFrame(11, "up", 3, false, new byte[3000], w)));
    byte[] bytes = Files.readAllBytes(file);
    String hex = Long.toHexString(w);
    String text = new String(bytes, StandardCharsets.ISO_8859_1);
    int at = text.indexOf("offload=" + hex);
    assertThat(at).isPositive();
    bytes[at + 8] = 'x';
    Files.write(file, bytes);

    assertThatThrownBy(() -> ChannelStateFile.read(file, 3))
        .isInstanceOf(CheckpointRefusedException.class)
        .hasMessageContaining("bad offload word");
  }
}
