package org.vccp.checkpoint.verify.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.vccp.checkpoint.verify.capture.CaptureBytes.comment;
import static org.vccp.checkpoint.verify.capture.CaptureBytes.ifName;
import static org.vccp.checkpoint.verify.capture.CaptureBytes.opt;
import static org.vccp.checkpoint.verify.capture.CaptureBytes.text;
import static org.vccp.checkpoint.verify.capture.CaptureBytes.tsresol;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vccp.vnet.record.PcapngWriter;

/** The pcapng and pcap readers: both byte orders, every block kind, and broken input. */
class CaptureReadersTest {
  @TempDir Path dir;

  private static byte[] frame(int n, int len) {
    byte[] f = new byte[len];
    for (int i = 0; i < len; i++) {
      f[i] = (byte) (n + i);
    }
    return f;
  }

  private Path write(String name, byte[] bytes) throws IOException {
    Path p = dir.resolve(name);
    Files.write(p, bytes);
    return p;
  }

  @Test
  void readsWhatTheRecorderWriterWrites() throws IOException {
    Path p = dir.resolve("w.pcapng");
    try (PcapngWriter w =
        new PcapngWriter(
            FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
            1 << 16)) {
      w.writeSectionHeader("vccp test", "vccp-recording run=abc index=000000 switch=sw");
      int g1 = w.addInterface("g1", "g1,listen=unix:/x", PcapngWriter.LINKTYPE_ETHERNET, 65535);
      int g2 = w.addInterface("g2", null, PcapngWriter.LINKTYPE_ETHERNET, 65535);
      byte[] f = frame(1, 61);
      w.writePacket(
          g1,
          1_700_000_000_123_456_789L,
          f,
          0,
          61,
          61,
          PcapngWriter.FLAGS_INBOUND,
          7,
          (String) null);
      w.writePacket(
          g2,
          1_700_000_000_123_456_999L,
          f,
          0,
          40,
          61,
          PcapngWriter.FLAGS_OUTBOUND,
          7,
          "vccp:release epoch=3");
      w.writePacket(g2, 1_700_000_000_200_000_000L, f, 0, 14, 14, -1, -1, (String) null);
    }
    try (CaptureReader r = CaptureFiles.open(p)) {
      assertThat(r).isInstanceOf(PcapngReader.class);
      assertThat(r.sectionComment()).startsWith("vccp-recording run=abc");
      assertThat(r.next()).isTrue();
      assertThat(r.frameNumber()).isEqualTo(1);
      assertThat(r.captureInterface().name()).isEqualTo("g1");
      assertThat(r.captureInterface().description()).isEqualTo("g1,listen=unix:/x");
      assertThat(r.timestampNs()).isEqualTo(1_700_000_000_123_456_789L);
      assertThat(r.flags()).isEqualTo(1);
      assertThat(r.packetId()).isEqualTo(7);
      assertThat(r.comment()).isNull();
      assertThat(Arrays.copyOfRange(r.array(), r.dataOffset(), r.dataOffset() + 61))
          .isEqualTo(frame(1, 61));
      assertThat(r.next()).isTrue();
      assertThat(r.captureInterface().name()).isEqualTo("g2");
      assertThat(r.capturedLength()).isEqualTo(40);
      assertThat(r.originalLength()).isEqualTo(61);
      assertThat(r.flags()).isEqualTo(2);
      assertThat(r.comment()).isEqualTo("vccp:release epoch=3");
      assertThat(r.next()).isTrue();
      assertThat(r.flags()).isEqualTo(-1);
      assertThat(r.packetId()).isEqualTo(-1);
      assertThat(r.frameNumber()).isEqualTo(3);
      assertThat(r.next()).isFalse();
    }
  }

  @Test
  void readsBothByteOrdersAcrossSectionsAndSkipsOtherBlocks() throws IOException {
    CaptureBytes b = new CaptureBytes();
    b.shb(ByteOrder.BIG_ENDIAN, "first section");
    b.idb(1, 0, ifName("tap0"), tsresol(6), b.tsoffset(100));
    b.block(4, new byte[] {0, 0, 0, 0}); // name resolution block: ignored
    b.epb(0, 1_500_000L, frame(3, 60), 60, b.flags(2), b.packetId(42), comment("hello"));
    b.custom(0x40000BAD, 32473, text("private")); // custom block: skipped
    b.block(0x12345678, new byte[20]); // unknown block: skipped
    b.block(5, new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}); // statistics: ignored
    b.shb(ByteOrder.LITTLE_ENDIAN, null);
    b.idb(1, 30, ifName("tap1"), tsresol(0x80 | 10));
    b.spb(frame(5, 50), 50);
    b.epb(0, 3 * 1024 + 512, frame(6, 20), 20);
    Path p = write("mixed.pcapng", b.bytes());
    try (CaptureReader r = CaptureFiles.open(p)) {
      assertThat(r.sectionComment()).isEqualTo("first section");
      assertThat(r.next()).isTrue();
      assertThat(r.sectionNumber()).isZero();
      assertThat(r.captureInterface().name()).isEqualTo("tap0");
      assertThat(r.timestampNs()).isEqualTo(100_000_000_000L + 1_500_000_000L);
      assertThat(r.flags()).isEqualTo(2);
      assertThat(r.packetId()).isEqualTo(42);
      assertThat(r.comment()).isEqualTo("hello");
      assertThat(r.array()[r.dataOffset()]).isEqualTo((byte) 3);
      assertThat(r.next()).isTrue();
      assertThat(r.sectionNumber()).isEqualTo(1);
      assertThat(r.sectionComment()).isNull();
      assertThat(r.frameNumber()).isEqualTo(2);
      assertThat(r.captureInterface().name()).isEqualTo("tap1");
      assertThat(r.capturedLength()).as("SPB cut to the snap length").isEqualTo(30);
      assertThat(r.originalLength()).isEqualTo(50);
      assertThat(r.next()).isTrue();
      assertThat(r.frameNumber()).isEqualTo(3);
      assertThat(r.timestampNs()).as("2^-10 s units").isEqualTo(3_500_000_000L);
      assertThat(r.next()).isFalse();
    }
  }

  @Test
  void readsClassicPcapInMicrosAndNanosAndBothOrders() throws IOException {
    CaptureBytes le = new CaptureBytes().pcapHeader(ByteOrder.LITTLE_ENDIAN, false, 65535, 1);
    le.pcapRecord(10, 250_000, frame(1, 42), 42).pcapRecord(11, 1, frame(2, 30), 100);
    CaptureBytes be = new CaptureBytes().pcapHeader(ByteOrder.BIG_ENDIAN, true, 65535, 113);
    be.pcapRecord(10, 250_000_001, frame(3, 42), 42);
    try (CaptureReader r = CaptureFiles.open(write("us.pcap", le.bytes()))) {
      assertThat(r).isInstanceOf(PcapReader.class);
      assertThat(r.next()).isTrue();
      assertThat(r.timestampNs()).isEqualTo(10_250_000_000L);
      assertThat(r.captureInterface().linkType()).isEqualTo(1);
      assertThat(r.captureInterface().name()).isEqualTo("us.pcap");
      assertThat(r.next()).isTrue();
      assertThat(r.frameNumber()).isEqualTo(2);
      assertThat(r.capturedLength()).isEqualTo(30);
      assertThat(r.originalLength()).isEqualTo(100);
      assertThat(r.array()[r.dataOffset()]).isEqualTo((byte) 2);
      assertThat(r.next()).isFalse();
    }
    try (CaptureReader r = CaptureFiles.open(write("ns.pcap", be.bytes()))) {
      assertThat(r.next()).isTrue();
      assertThat(r.timestampNs()).isEqualTo(10_250_000_001L);
      assertThat(r.captureInterface().linkType()).isEqualTo(113);
    }
  }

  @Test
  void truncatedBlockNamesFileAndOffset() throws IOException {
    CaptureBytes b = new CaptureBytes().shb(ByteOrder.LITTLE_ENDIAN, null);
    b.idb(1, 0, ifName("g1"));
    int epbAt = b.size();
    b.epb(0, 1, frame(1, 60), 60);
    byte[] all = b.bytes();
    Path p = write("cut.pcapng", Arrays.copyOf(all, all.length - 10));
    assertThatThrownBy(() -> drain(p))
        .isInstanceOf(CaptureFormatException.class)
        .hasMessageContaining("cut.pcapng")
        .hasMessageContaining("at byte " + epbAt)
        .hasMessageContaining("truncated")
        .satisfies(e -> assertThat(((CaptureFormatException) e).offset()).isEqualTo(epbAt));
  }

  @Test
  void corruptBlocksAreTypedErrorsWithOffsets() throws IOException {
    CaptureBytes b = new CaptureBytes().shb(ByteOrder.LITTLE_ENDIAN, null);
    b.idb(1, 0, ifName("g1"));
    int epbAt = b.size();
    b.epb(0, 1, frame(1, 60), 60);
    byte[] badTrailer = b.bytes();
    badTrailer[badTrailer.length - 1] = 0x7f;
    assertThatThrownBy(() -> drain(write("t.pcapng", badTrailer)))
        .hasMessageContaining("at byte " + epbAt)
        .hasMessageContaining("trailing length");

    byte[] badLength = b.bytes();
    badLength[epbAt + 4] = 3;
    assertThatThrownBy(() -> drain(write("l.pcapng", badLength)))
        .hasMessageContaining("at byte " + epbAt)
        .hasMessageContaining("invalid length");

    byte[] badMagic = b.bytes();
    badMagic[8] = 0;
    assertThatThrownBy(() -> drain(write("m.pcapng", badMagic)))
        .hasMessageContaining("at byte 0")
        .hasMessageContaining("byte-order magic");

    CaptureBytes noIf = new CaptureBytes().shb(ByteOrder.LITTLE_ENDIAN, null);
    int at = noIf.size();
    noIf.epb(3, 1, frame(1, 20), 20);
    assertThatThrownBy(() -> drain(write("i.pcapng", noIf.bytes())))
        .hasMessageContaining("at byte " + at)
        .hasMessageContaining("interface 3");

    CaptureBytes badOpt = new CaptureBytes().shb(ByteOrder.LITTLE_ENDIAN, null);
    int idbAt = badOpt.size();
    badOpt.idb(1, 0, opt(2, new byte[400]));
    byte[] o = badOpt.bytes();
    o[idbAt + 16 + 2] = (byte) 0xff; // option length runs past the block
    o[idbAt + 16 + 3] = (byte) 0x0f;
    assertThatThrownBy(() -> drain(write("o.pcapng", o)))
        .hasMessageContaining("at byte " + idbAt)
        .hasMessageContaining("runs past the end");

    assertThatThrownBy(() -> drain(write("junk.pcap", text("this is not a capture"))))
        .isInstanceOf(CaptureFormatException.class)
        .hasMessageContaining("neither pcapng nor pcap");
  }

  @Test
  void truncatedPcapRecordIsAnError() throws IOException {
    CaptureBytes le = new CaptureBytes().pcapHeader(ByteOrder.LITTLE_ENDIAN, false, 65535, 1);
    le.pcapRecord(1, 0, frame(1, 42), 42).pcapRecord(2, 0, frame(2, 42), 42);
    byte[] all = le.bytes();
    Path p = write("cut.pcap", Arrays.copyOf(all, all.length - 5));
    assertThatThrownBy(() -> drain(p))
        .isInstanceOf(CaptureFormatException.class)
        .hasMessageContaining("at byte " + (24 + 16 + 42))
        .hasMessageContaining("truncated record");
  }

  @Test
  void blocksLargerThanTheBufferAreRead() throws IOException {
    CaptureBytes b = new CaptureBytes().shb(ByteOrder.LITTLE_ENDIAN, null);
    b.idb(1, 0, ifName("g1"));
    for (int i = 0; i < 5; i++) {
      b.epb(0, i, frame(i, 60_000), 60_000);
    }
    Path p = write("big.pcapng", b.bytes());
    try (PcapngReader r = new PcapngReader(p, 4096)) {
      int n = 0;
      while (r.next()) {
        assertThat(r.capturedLength()).isEqualTo(60_000);
        assertThat(r.array()[r.dataOffset() + 59_999]).isEqualTo((byte) (n + 59_999));
        n++;
      }
      assertThat(n).isEqualTo(5);
    }
  }

  private static void drain(Path p) throws IOException {
    try (CaptureReader r = CaptureFiles.open(p)) {
      while (r.next()) {
        // read everything
      }
    }
  }
}
