package org.vccp.checkpoint.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vccp.vnet.hold.HeldFrame;

class CheckpointStoreTest {
  @TempDir Path root;

  private CheckpointStore.Committed commitOne(CheckpointStore store) throws Exception {
    long epoch = store.nextEpoch();
    Path dir = store.begin(epoch);
    Files.write(dir.resolve("guest-g1.vmstate"), new byte[100_000]);
    List<HeldFrame> frames = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      byte[] f = new byte[60 + i];
      f[0] = (byte) i;
      frames.add(new HeldFrame(1000 + i, i % 2 == 0 ? "g1" : "g2", epoch, false, f));
    }
    ChannelStateFile.write(dir.resolve(ChannelStateFile.fileName("g3")), "g3", epoch, frames);
    Manifest.FileRef ch = Sha256.ref(dir, ChannelStateFile.fileName("g3"));
    Manifest m =
        new Manifest(
            Manifest.FORMAT,
            epoch,
            "stop-the-world",
            "2026-11-25T00:00:00Z",
            1,
            2,
            null,
            List.of(new Manifest.Guest("g1", "g1", null, Sha256.ref(dir, "guest-g1.vmstate"))),
            List.of(new Manifest.Channel("g3", ch.file(), 5, ch.bytes(), ch.sha256())),
            null,
            null);
    store.commit(dir, m);
    return store.open(String.valueOf(epoch));
  }

  /**
   * An aborted epoch's number is never handed out again: an agent that has not heard of the abort
   * may still be saving under it, and must not write into the next checkpoint.
   */
  @Test
  void anAbortedEpochsNumberIsNotReused() throws Exception {
    CheckpointStore store = new CheckpointStore(root);
    commitOne(store);
    long aborted = store.nextEpoch();
    Path partial = store.begin(aborted);
    store.discard(partial);
    assertThat(partial).doesNotExist();

    assertThat(store.nextEpoch()).isEqualTo(aborted + 1);
    assertThat(new CheckpointStore(root).nextEpoch())
        .as("a new store (a restarted coordinator) starts after what is on disk")
        .isEqualTo(aborted);
  }

  @Test
  void commitsDurablyAndListsOnlyCommittedCheckpointsInOrder() throws Exception {
    CheckpointStore store = new CheckpointStore(root);
    commitOne(store);
    commitOne(store);
    store.begin(store.nextEpoch()); // an interrupted epoch
    assertThat(store.list())
        .extracting(CheckpointStore.Committed::name)
        .containsExactly("ckpt-000001", "ckpt-000002");
    assertThat(store.latest().orElseThrow().manifest().epoch()).isEqualTo(2);
    assertThat(store.nextEpoch()).isEqualTo(4);
    assertThat(root.resolve("ckpt-000002/MANIFEST.json")).exists();
    assertThat(root.resolve("ckpt-000002/MANIFEST.json.tmp")).doesNotExist();
    assertThatThrownBy(() -> store.open("ckpt-000003.partial"))
        .hasMessageContaining("never committed");
    assertThat(store.retain(1)).containsExactlyInAnyOrder("ckpt-000001", "ckpt-000003.partial");
    assertThat(store.list()).hasSize(1);
  }

  @Test
  void verificationRefusesAFlippedByteAMissingFileAndAForeignPath() throws Exception {
    CheckpointStore store = new CheckpointStore(root);
    CheckpointStore.Committed c = commitOne(store);
    CheckpointStore.verify(c);

    Path image = c.dir().resolve("guest-g1.vmstate");
    byte[] b = Files.readAllBytes(image);
    b[4242] ^= 1;
    Files.write(image, b);
    assertThatThrownBy(() -> CheckpointStore.verify(c))
        .isInstanceOf(CheckpointRefusedException.class)
        .hasMessageContaining("guest-g1.vmstate is corrupt");

    Files.delete(image);
    assertThatThrownBy(() -> CheckpointStore.verify(c))
        .hasMessageContaining("guest-g1.vmstate is missing");

    Manifest m = c.manifest();
    Manifest foreign =
        new Manifest(
            m.format(),
            m.epoch(),
            m.mode(),
            m.createdAt(),
            0,
            0,
            null,
            List.of(
                new Manifest.Guest(
                    "g1", "g1", null, new Manifest.FileRef("../../etc/passwd", 1, "00"))),
            List.of(),
            null,
            null);
    assertThatThrownBy(
            () -> CheckpointStore.verify(new CheckpointStore.Committed(c.dir(), foreign)))
        .hasMessageContaining("outside the checkpoint");
  }

  @Test
  void channelFilesRoundTripInOrderAndACorruptOneIsRefusedWithItsOffset() throws Exception {
    CheckpointStore.Committed c = commitOne(new CheckpointStore(root));
    Path file = c.dir().resolve("channel-g3.pcapng");
    List<HeldFrame> back = ChannelStateFile.read(file, 1);
    assertThat(back)
        .extracting(HeldFrame::packetId)
        .containsExactly(1000L, 1001L, 1002L, 1003L, 1004L);
    assertThat(back).extracting(HeldFrame::origin).containsExactly("g1", "g2", "g1", "g2", "g1");
    assertThat(back).allMatch(HeldFrame::replayed);
    assertThat(back.get(3).frame()).hasSize(63);

    byte[] b = Files.readAllBytes(file);
    Files.write(file, java.util.Arrays.copyOf(b, b.length - 10));
    assertThatThrownBy(() -> ChannelStateFile.read(file, 1))
        .isInstanceOf(CheckpointRefusedException.class)
        .hasMessageMatching(".*corrupt channel file at byte \\d+: .*");
  }

  /**
   * An agent still saving into an aborted checkpoint adds files while it is being discarded: the
   * directory is still gone at the end, and a write after that fails instead of re-creating it.
   */
  @Test
  void discardRemovesAPartialCheckpointThatFilesKeepAppearingIn() throws Exception {
    CheckpointStore store = new CheckpointStore(root);
    Path dir = store.begin(store.nextEpoch());
    for (int i = 0; i < 200; i++) {
      Files.write(dir.resolve("f" + i), new byte[1000]);
    }
    Thread writer =
        new Thread(
            () -> {
              for (int i = 0; i < 2000; i++) {
                try {
                  Files.write(dir.resolve("late" + i), new byte[10]);
                } catch (java.io.IOException gone) {
                  return;
                }
              }
            });
    writer.start();
    store.discard(dir);
    writer.join(10_000);
    assertThat(dir).doesNotExist();
    assertThatThrownBy(() -> Files.write(dir.resolve("later"), new byte[1]))
        .isInstanceOf(java.nio.file.NoSuchFileException.class);
  }
}
