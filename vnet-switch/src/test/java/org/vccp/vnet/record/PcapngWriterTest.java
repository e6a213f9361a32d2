package org.vccp.vnet.record;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vccp.vnet.testing.Tshark;

class PcapngWriterTest {
  @TempDir Path dir;

  private Path write(int bufferBytes, int packets) throws Exception {
    Path file = dir.resolve("w.pcapng");
    try (PcapngWriter w =
        new PcapngWriter(
            FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
            bufferBytes)) {
      w.writeSectionHeader("vccp test", "vccp-recording run=abc index=000000");
      int g1 = w.addInterface("g1", "g1,listen=unix:/x", PcapngWriter.LINKTYPE_ETHERNET, 65535);
      int g2 = w.addInterface("g2", null, PcapngWriter.LINKTYPE_ETHERNET, 65535);
      for (int i = 0; i < packets; i++) {
        byte[] f = new byte[61 + i % 7];
        f[0] = (byte) i;
        long ts = 1_764_100_000_000_000_000L + i * 1_000L;
        w.writePacket(
            g1, ts, f, 0, f.length, f.length, PcapngWriter.FLAGS_INBOUND, i, (byte[]) null);
        w.writePacket(
            g2, ts + 1, f, 0, f.length, f.length, PcapngWriter.FLAGS_OUTBOUND, i, (byte[]) null);
      }
      w.writePacket(g2, 1_764_100_001_000_000_000L, new byte[70000], 0, 65535, 70000, 0, 99, "c");
    }
    return file;
  }

  /**
   * The same blocks through a direct-I/O writer and an ordinary one, flushed in between in every
   * way the recorder does: after every complete flush the file holds exactly the blocks so far (no
   * padding past them), and at the end both files are byte for byte the same.
   */
  @Test
  void directWriterKeepsTheFileExactAfterEveryFlush() throws Exception {
    Path directFile = dir.resolve("direct.pcapng");
    try (PcapngWriter direct = PcapngWriter.create(directFile, 0)) {
      Assumptions.assumeTrue(
          direct.isDirect(), "the file system of " + dir + " has no O_DIRECT (tmpfs?)");
      writeAndCompareWithAPlainWriter(direct, directFile);
    }
  }

  /**
   * The files of one recording reuse one set of buffers, and a reused buffer leaves nothing of the
   * file before in the next: a direct buffer's memory is freed only by a garbage collection, which
   * a switch that hardly allocates rarely has, so new buffers for every rotated file piled up (3.7
   * GB resident after 20 s of rotating every 16 MiB).
   */
  @Test
  void filesWrittenOneAfterAnotherReuseTheirBuffers() throws Exception {
    RecordingBuffers pool = new RecordingBuffers();
    int afterFirst = 0;
    for (int i = 0; i < 10; i++) {
      Path file = dir.resolve("rotated-" + i + ".pcapng");
      Path reference = dir.resolve("reference-" + i + ".pcapng");
      try (PcapngWriter w = PcapngWriter.create(file, 256 * 1024, pool);
          PcapngWriter r =
              new PcapngWriter(
                  FileChannel.open(
                      reference, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                  256 * 1024)) {
        // the first file the longest, so that a reused buffer would still hold its bytes
        writeSome(w, i, i == 0 ? 400 : 3);
        writeSome(r, i, i == 0 ? 400 : 3);
      }
      if (i == 0) {
        afterFirst = pool.allocated();
      }
      assertThat(Files.readAllBytes(file))
          .as("file %d", i)
          .isEqualTo(Files.readAllBytes(reference));
    }
    assertThat(afterFirst).isPositive();
    assertThat(pool.allocated()).isEqualTo(afterFirst);
  }

  private static void writeSome(PcapngWriter w, int file, int packets) {
    w.writeSectionHeader("test", "file " + file);
    int ifId = w.addInterface("p" + file, null, PcapngWriter.LINKTYPE_ETHERNET, 65_535);
    byte[] frame = new byte[1_500];
    for (int i = 0; i < packets; i++) {
      frame[0] = (byte) i;
      w.writePacket(
          ifId, 1_000L * i, frame, 0, 1_499, 1_500, PcapngWriter.FLAGS_INBOUND, i, (byte[]) null);
    }
  }

  /**
   * The same with {@link DirectFileOutput}'s buffers and I/O thread over an ordinary file channel,
   * so that the hand-over (blocks carried to the next buffer, writes in order, truncation) is
   * tested on every file system; 4 KiB blocks as on ext4.
   */
  @Test
  void directOutputOverAnOrdinaryChannelKeepsTheFileExactAfterEveryFlush() throws Exception {
    Path file = dir.resolve("async.pcapng");
    try (PcapngWriter async =
        new PcapngWriter(
            new DirectFileOutput(
                FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                4096,
                256 * 1024))) {
      writeAndCompareWithAPlainWriter(async, file);
    }
  }

  private void writeAndCompareWithAPlainWriter(PcapngWriter direct, Path directFile)
      throws Exception {
    Path plainFile = dir.resolve("plain.pcapng");
    try (PcapngWriter plain =
        new PcapngWriter(
            FileChannel.open(plainFile, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
            0)) {
      java.util.Random rnd = new java.util.Random(7);
      for (PcapngWriter w : List.of(plain, direct)) {
        w.writeSectionHeader("vccp test", "direct");
        w.addInterface("g1", null, PcapngWriter.LINKTYPE_ETHERNET, 65535);
      }
      for (int i = 0; i < 3000; i++) {
        byte[] f = new byte[rnd.nextInt(i % 100 == 0 ? 65535 : 1600) + 1];
        rnd.nextBytes(f);
        for (PcapngWriter w : List.of(plain, direct)) {
          w.writePacket(
              0, i, f, 0, f.length, f.length, PcapngWriter.FLAGS_INBOUND, i, (byte[]) null);
        }
        int what = rnd.nextInt(40);
        if (what == 0) {
          plain.flush();
          direct.flush();
          assertThat(Files.readAllBytes(directFile))
              .as("after packet %d", i)
              .isEqualTo(Files.readAllBytes(plainFile));
        } else if (what == 1) {
          long before = Files.size(directFile);
          direct.flushBlocks();
          assertThat(Files.size(directFile)).isBetween(before, direct.bytesWritten());
          assertThat(direct.buffered()).isLessThan(4096);
        }
        assertThat(direct.bytesWritten()).isEqualTo(plain.bytesWritten());
      }
      direct.close();
    }
    assertThat(Files.readAllBytes(directFile)).isEqualTo(Files.readAllBytes(plainFile));
  }

  /**
   * A write that fails on the I/O thread (here: a file opened read-only) is thrown from the next
   * flush and from close, which still returns: the buffers come back, nothing is left waiting.
   */
  @Test
  void aFailedDirectWriteIsThrownFromTheNextFlushAndFromClose() throws Exception {
    Path file = Files.createFile(dir.resolve("read-only.pcapng"));
    DirectFileOutput out = readOnly(file);
    assertTimeoutPreemptively(
        java.time.Duration.ofSeconds(30),
        () -> {
          ByteBuffer b = out.firstBuffer();
          b.put(new byte[10_000]);
          ByteBuffer first = b;
          assertThatThrownBy(() -> out.flush(first, true))
              .isInstanceOf(java.io.IOException.class)
              .hasMessageContaining("NonWritableChannelException");
          ByteBuffer again = ByteBuffer.allocateDirect(8192);
          again.put(new byte[8192]);
          assertThatThrownBy(() -> out.flush(again, false)).isInstanceOf(java.io.IOException.class);
          assertThatThrownBy(out::close).isInstanceOf(java.io.IOException.class);
        });
    assertThat(Files.size(file)).isZero();
  }

  /**
   * Writes that fail without anyone waiting for them (block flushes) still give their buffers back:
   * flushing more blocks than there are buffers ends in the failure, not in a recorder waiting
   * forever for a buffer.
   */
  @Test
  void failedBlockWritesGiveTheirBuffersBack() throws Exception {
    DirectFileOutput out = readOnly(Files.createFile(dir.resolve("read-only-blocks.pcapng")));
    assertTimeoutPreemptively(
        java.time.Duration.ofSeconds(30),
        () -> {
          assertThatThrownBy(
                  () -> {
                    ByteBuffer b = out.firstBuffer();
                    for (int i = 0; i < 100 * DirectFileOutput.BUFFERS; i++) {
                      b.put(new byte[8192 + 100]);
                      b = out.flush(b, false);
                    }
                  })
              .isInstanceOf(java.io.IOException.class)
              .hasMessageContaining("NonWritableChannelException");
          assertThatThrownBy(out::close).isInstanceOf(java.io.IOException.class);
        });
  }

  /** An output whose every write fails on its I/O thread: the file is open read-only. */
  private static DirectFileOutput readOnly(Path file) throws java.io.IOException {
    return new DirectFileOutput(FileChannel.open(file, StandardOpenOption.READ), 4096, 256 * 1024);
  }

  /**
   * One Enhanced Packet Block, byte for byte as the pcapng spec lays it out, written into buffer
   * space that held other bytes before (the writer reuses its buffers): the padding after a length
   * that is not a multiple of four, and every option, come out exact.
   */
  @Test
  void anEnhancedPacketBlockIsExactlyWhatTheSpecLaysOut() throws Exception {
    Path file = dir.resolve("epb.pcapng");
    byte[] frame = new byte[61];
    for (int i = 0; i < frame.length; i++) {
      frame[i] = (byte) (i + 1);
    }
    byte[] dirt = new byte[4096];
    java.util.Arrays.fill(dirt, (byte) 0xFF);
    long ts = 0x0123_4567_89AB_CDEFL;
    long before;
    try (PcapngWriter w =
        new PcapngWriter(
            FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), 0)) {
      w.writeSectionHeader("t", null);
      w.addInterface("a", null, PcapngWriter.LINKTYPE_ETHERNET, 65535);
      w.addInterface("b", null, PcapngWriter.LINKTYPE_ETHERNET, 65535);
      w.flush(); // so that the next block's 0xFF data lies where the next buffer's blocks go
      w.writePacket(0, 1, dirt, 0, dirt.length, dirt.length, -1, -1, (byte[]) null);
      w.flush(); // the buffer starts again where 0xFF bytes were
      before = w.bytesWritten();
      w.writePacket(
          1, ts, frame, 0, 61, 1500, PcapngWriter.FLAGS_OUTBOUND, 0x1122_3344_5566L, "hi");
      w.writePacket(0, ts, frame, 0, 0, 61, -1, -1, (byte[]) null);
    }
    ByteBuffer want = ByteBuffer.allocate(256).order(ByteOrder.LITTLE_ENDIAN);
    int len = 28 + 64 + 8 + 8 + 12 + 4 + 4;
    want.putInt(6).putInt(len).putInt(1).putInt(0x0123_4567).putInt(0x89AB_CDEF);
    want.putInt(61).putInt(1500).put(frame).put(new byte[3]);
    want.putShort((short) 1)
        .putShort((short) 2)
        .put((byte) 'h')
        .put((byte) 'i')
        .putShort((short) 0);
    want.putShort((short) 2).putShort((short) 4).putInt(PcapngWriter.FLAGS_OUTBOUND);
    want.putShort((short) 5).putShort((short) 8).putLong(0x1122_3344_5566L);
    want.putInt(0).putInt(len);
    // no data, no options: a bare block
    want.putInt(6).putInt(32).putInt(0).putInt(0x0123_4567).putInt(0x89AB_CDEF);
    want.putInt(0).putInt(61).putInt(32);
    byte[] all = Files.readAllBytes(file);
    byte[] got = java.util.Arrays.copyOfRange(all, (int) before, all.length);
    assertThat(got).isEqualTo(java.util.Arrays.copyOf(want.array(), want.position()));
  }

  @Test
  void blocksChainByTheirLengthsToTheEndOfTheFile() throws Exception {
    Path file = write(0, 5000);
    ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
    int blocks = 0;
    while (b.remaining() > 0) {
      int start = b.position();
      b.getInt();
      int len = b.getInt();
      assertThat(len % 4).as("block at %d length aligned", start).isZero();
      assertThat(b.getInt(start + len - 4)).as("trailing length at %d", start).isEqualTo(len);
      b.position(start + len);
      blocks++;
    }
    assertThat(blocks).isEqualTo(1 + 2 + 10_000 + 1);
  }

  @Test
  void tsharkReadsInterfacesDirectionsIdsCommentsAndLengths() throws Exception {
    Path file = write(0, 300);
    List<String[]> rows =
        Tshark.fields(
            file,
            "frame.interface_name",
            "frame.packet_flags_direction",
            "frame.len",
            "frame.cap_len",
            "frame.comment",
            "frame.time_epoch");
    assertThat(rows).hasSize(601);
    assertThat(rows.get(0)).startsWith("g1", "0x00000001", "61", "61", "");
    assertThat(rows.get(0)[5]).isEqualTo("1764100000.000000000");
    assertThat(rows.get(1)).startsWith("g2", "0x00000002", "61", "61");
    assertThat(rows.get(13)[2]).isEqualTo(String.valueOf(61 + 6 % 7));
    assertThat(rows.get(600)).startsWith("g2", "0x00000000", "70000", "65535", "c");
    assertThat(rows.stream().filter(r -> r[0].equals("g1")).count()).isEqualTo(300);
  }
}
