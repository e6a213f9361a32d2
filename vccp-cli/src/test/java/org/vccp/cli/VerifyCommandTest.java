package org.vccp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vccp.vnet.record.PcapngWriter;

/** {@code vccp verify} from the command line: exit statuses 0, 1, 2, JSON, help. */
class VerifyCommandTest {
  @TempDir Path dir;

  private static CliRun run(String... args) {
    return CliRun.of(args);
  }

  private static byte[] frame(int dst, int src, int tag) {
    ByteBuffer b = ByteBuffer.allocate(60);
    b.putShort((short) 0x5254).putInt(dst).putShort((short) 0x5254).putInt(src);
    b.putShort((short) 0x88b5).putInt(tag);
    return b.array();
  }

  /** g1 and g2 learn, then g1 sends 5 frames to g2; {@code dropEgressOf} (or -1) is lost. */
  private Path recording(String name, int dropEgressOf) throws IOException {
    Path file = dir.resolve(name);
    try (PcapngWriter w =
        new PcapngWriter(
            FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
            1 << 16)) {
      w.writeSectionHeader(
          "vccp test",
          "vccp-recording run=0123456789ab index=000000 switch=sw0 started=2027-01-01T00:00:00Z");
      int g1 = w.addInterface("g1", null, PcapngWriter.LINKTYPE_ETHERNET, 65535);
      int g2 = w.addInterface("g2", null, PcapngWriter.LINKTYPE_ETHERNET, 65535);
      long ts = 1_800_000_000_000_000_000L;
      long id = 0;
      byte[] b1 = frame(-1, 1, 0);
      b1[0] = (byte) 0xff;
      b1[1] = (byte) 0xff;
      w.writePacket(g1, ts++, b1, 0, 60, 60, PcapngWriter.FLAGS_INBOUND, id, (String) null);
      w.writePacket(g2, ts++, b1, 0, 60, 60, PcapngWriter.FLAGS_OUTBOUND, id++, (String) null);
      byte[] b2 = frame(1, 2, 0);
      w.writePacket(g2, ts++, b2, 0, 60, 60, PcapngWriter.FLAGS_INBOUND, id, (String) null);
      w.writePacket(g1, ts++, b2, 0, 60, 60, PcapngWriter.FLAGS_OUTBOUND, id++, (String) null);
      for (int n = 1; n <= 5; n++) {
        byte[] f = frame(2, 1, n);
        w.writePacket(g1, ts++, f, 0, 60, 60, PcapngWriter.FLAGS_INBOUND, id, (String) null);
        if (n != dropEgressOf) {
          w.writePacket(g2, ts++, f, 0, 60, 60, PcapngWriter.FLAGS_OUTBOUND, id, (String) null);
        }
        id++;
      }
      ts += 10_000_000_000L;
      byte[] late = frame(1, 2, 99);
      w.writePacket(g2, ts, late, 0, 60, 60, PcapngWriter.FLAGS_INBOUND, id, (String) null);
      w.writePacket(g1, ts, late, 0, 60, 60, PcapngWriter.FLAGS_OUTBOUND, id, (String) null);
    }
    return file;
  }

  @Test
  void cleanRecordingExitsZeroWithASummaryTable() throws IOException {
    Path rec = recording("clean.pcapng", -1);
    Path json = dir.resolve("out.json");
    CliRun r = run("verify", "--json", json.toString(), rec.toString());
    assertThat(r.status()).as(r.out() + r.err()).isZero();
    assertThat(r.out()).contains("CHANNEL").contains("g1->g2").contains("verdict: CLEAN");
    JsonNode j = new ObjectMapper().readTree(json.toFile());
    assertThat(j.path("format").asText()).isEqualTo("vccp-verify/1");
    assertThat(j.path("findings")).isEmpty();
    assertThat(j.path("summary").path("verdict").asText()).isEqualTo("clean");
    assertThat(r.err()).as("no progress bar off a terminal").isEmpty();
  }

  @Test
  void lostFrameExitsOneAndIsInTheJson() throws IOException {
    Path rec = recording("lossy.pcapng", 3);
    Path json = dir.resolve("out.json");
    CliRun r = run("verify", "--json", json.toString(), "--grace", "1s", dir.toString());
    assertThat(r.status()).isEqualTo(1);
    assertThat(r.out()).contains("channel/lost").contains("VIOLATIONS");
    JsonNode f = new ObjectMapper().readTree(json.toFile()).path("findings").get(0);
    assertThat(f.path("check").asText()).isEqualTo("channel");
    assertThat(f.path("kind").asText()).isEqualTo("lost");
    assertThat(f.path("channel").asText()).isEqualTo("g1->g2");
    assertThat(f.path("frames").get(0).path("file").asText()).isEqualTo(rec.toString());
    assertThat(f.path("frames").get(0).path("frame").asLong()).isEqualTo(9);
    assertThat(f.path("frames").get(0).path("packetId").asLong()).isEqualTo(4);
  }

  @Test
  void truncatedOrCorruptInputExitsTwoWithTheByteOffsetInOneLine() throws IOException {
    Path rec = recording("whole.pcapng", -1);
    byte[] all = Files.readAllBytes(rec);
    Path cut = Files.write(dir.resolve("cut.pcapng"), Arrays.copyOf(all, all.length - 7));
    CliRun r = run("verify", cut.toString());
    assertThat(r.status()).isEqualTo(2);
    assertThat(r.err().strip().lines())
        .singleElement()
        .asString()
        .startsWith("vccp verify: " + cut)
        .containsPattern("at byte \\d+: truncated block")
        .doesNotContain("Exception");

    ByteBuffer bb = ByteBuffer.wrap(all).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    int epb = bb.getInt(4); // after the section header
    epb += bb.getInt(epb + 4); // and two interface blocks
    epb += bb.getInt(epb + 4);
    assertThat(bb.getInt(epb)).as("first enhanced packet block").isEqualTo(6);
    byte[] bad = all.clone();
    bad[epb + 4] = 0x13; // a block length that is not a multiple of 4
    Path corrupt = Files.write(dir.resolve("corrupt.pcapng"), bad);
    CliRun c = run("verify", corrupt.toString());
    assertThat(c.status()).isEqualTo(2);
    assertThat(c.err().strip().lines())
        .singleElement()
        .asString()
        .contains("corrupt.pcapng: at byte " + epb + ": ")
        .contains("invalid length");

    CliRun missing = run("verify", dir.resolve("nope.pcapng").toString());
    assertThat(missing.status()).isEqualTo(2);
    assertThat(missing.err()).contains("nope.pcapng").contains("no such file");
  }

  @Test
  void helpExplainsChecksAndExitCodes() {
    CliRun r = run("verify", "--help");
    assertThat(r.status()).isZero();
    assertThat(r.out())
        .contains("--checkpoint")
        .contains("--json")
        .contains("--grace")
        .contains("--window")
        .contains("orphan")
        .contains("Exit status: 0 clean, 1 violations");
    assertThat(run("--help").out()).contains("verify");
  }

  @Test
  void badDurationIsAOneLineError() throws IOException {
    CliRun r = run("verify", "--grace", "soon", recording("x.pcapng", -1).toString());
    assertThat(r.status()).isEqualTo(2);
    assertThat(r.err().strip())
        .isEqualTo(
            "vccp verify: --grace soon: expected a duration like 500ms, 1.5s, 60s, 5m or 1h");
  }
}
