package org.vccp.checkpoint.verify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vccp.checkpoint.store.ChannelStateFile;
import org.vccp.checkpoint.store.Manifest;
import org.vccp.checkpoint.verify.capture.CaptureFormatException;
import org.vccp.vnet.hold.HeldFrame;

/** verify reads the manifest and channel files exactly as the checkpoint store writes them. */
class CheckpointFormatTest {
  @TempDir Path dir;

  @Test
  void readsTheStoresManifestAndChannelFiles() throws IOException {
    byte[] a = TestFrames.raw(TestFrames.mac(1), 2, 1);
    byte[] b = TestFrames.raw(TestFrames.mac(1), 3, 2);
    ChannelStateFile.write(
        dir.resolve(ChannelStateFile.fileName("g1")),
        "g1",
        7,
        List.of(new HeldFrame(41, "g2", 7, false, a), new HeldFrame(45, "g3", 7, false, b)));
    Manifest m =
        new Manifest(
            Manifest.FORMAT,
            7,
            "stop-the-world",
            "2027-01-01T00:00:00Z",
            1,
            2,
            new Manifest.Recording("sw0", "0123456789ab"),
            List.of(),
            List.of(new Manifest.Channel("g1", "channel-g1.pcapng", 2, 120, "x")),
            null,
            null);
    new ObjectMapper().writeValue(dir.resolve("MANIFEST.json").toFile(), m);

    Checkpoint c = Checkpoint.load(dir);
    assertThat(c.epoch).isEqualTo(7);
    assertThat(c.run).isEqualTo("0123456789ab");
    assertThat(c.channels.get("g1"))
        .extracting(Checkpoint.Entry::from, Checkpoint.Entry::packetId)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("g2", 41L),
            org.assertj.core.groups.Tuple.tuple("g3", 45L));
    assertThat(c.channels.get("g1").get(1).ref().frame()).isEqualTo(2);
  }

  @Test
  void aBrokenManifestIsUnreadableInputWithItsOffset() throws IOException {
    Files.writeString(dir.resolve("MANIFEST.json"), "{\"epoch\": 3, \"channels\": [}");
    assertThatThrownBy(() -> Checkpoint.load(dir))
        .isInstanceOf(CaptureFormatException.class)
        .hasMessageContaining("MANIFEST.json: at byte ")
        .hasMessageContaining("invalid JSON");
    Files.delete(dir.resolve("MANIFEST.json"));
    assertThatThrownBy(() -> Checkpoint.load(dir)).hasMessageContaining("MANIFEST.json is missing");
  }
}
