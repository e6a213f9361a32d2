package org.vccp.checkpoint.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.vccp.vnet.hold.HeldFrame;
import org.vccp.vnet.record.PcapngWriter;

/**
 * A port's channel state in a checkpoint ({@code channel-<port>.pcapng}, format in
 * docs/recording-format.md): the frames held for the port at the cut, in order, each on its ingress
 * port's interface with its packet id. Wireshark opens it; restore reads it back.
 */
public final class ChannelStateFile {
  private ChannelStateFile() {}

  public static String fileName(String port) {
    return "channel-" + port + ".pcapng";
  }

  /** Writes the frames; returns the number of frame bytes. */
  public static long write(Path file, String port, long epoch, List<HeldFrame> frames)
      throws IOException {
    long bytes = 0;
    try (PcapngWriter w =
        new PcapngWriter(
            FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), 0)) {
      w.writeSectionHeader(
          "vccp",
          "vccp-channel-state epoch=" + epoch + " port=" + port + " frames=" + frames.size());
      Map<String, Integer> ifs = new HashMap<>();
      byte[] comment = PcapngWriter.utf8("vccp:channel epoch=" + epoch + " to=" + port);
      for (HeldFrame f : frames) {
        int ifId =
            ifs.computeIfAbsent(
                f.origin(), o -> w.addInterface(o, null, PcapngWriter.LINKTYPE_ETHERNET, 65_535));
        byte[] b = f.frame();
        w.writePacket(
            ifId, 0, b, 0, b.length, b.length, PcapngWriter.FLAGS_INBOUND, f.packetId(), comment);
        bytes += b.length;
      }
    }
    return bytes;
  }

  /**
   * Reads a channel file written by {@link #write}: frames in order, marked as replayed.
   *
   * @throws CheckpointRefusedException when the file is not such a file
   */
  public static List<HeldFrame> read(Path file, long epoch) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
    List<String> ifNames = new ArrayList<>();
    List<HeldFrame> frames = new ArrayList<>();
    while (b.remaining() > 0) {
      int start = b.position();
      if (b.remaining() < 12) {
        throw bad(file, start, "truncated block header");
      }
      int type = b.getInt(start);
      int len = b.getInt(start + 4);
      if (len < 12 || len % 4 != 0 || len > b.remaining() || b.getInt(start + len - 4) != len) {
        throw bad(file, start, "bad block length " + len);
      }
      if (start == 0 && (type != 0x0A0D0D0A || b.getInt(8) != 0x1A2B3C4D)) {
        throw bad(file, 0, "not a little-endian pcapng file");
      }
      if (type == 1) {
        ifNames.add(option(b, start + 16, start + len - 4, 2));
      } else if (type == 6) {
        int ifId = b.getInt(start + 8);
        int cap = b.getInt(start + 20);
        if (ifId >= ifNames.size() || 28 + cap > len) {
          throw bad(file, start, "packet block names interface " + ifId + " or overruns");
        }
        byte[] frame = new byte[cap];
        b.get(start + 28, frame);
        long id = -1;
        int p = start + 28 + ((cap + 3) & ~3);
        while (p + 4 <= start + len - 4) {
          int code = b.getShort(p) & 0xFFFF;
          int olen = b.getShort(p + 2) & 0xFFFF;
          if (code == 0) {
            break;
          }
          if (code == 5 && olen == 8) {
            id = b.getLong(p + 4);
          }
          p += 4 + ((olen + 3) & ~3);
        }
        frames.add(new HeldFrame(id, ifNames.get(ifId), epoch, true, frame));
      }
      b.position(start + len);
    }
    return frames;
  }

  private static String option(ByteBuffer b, int from, int to, int wanted) {
    int p = from;
    while (p + 4 <= to) {
      int code = b.getShort(p) & 0xFFFF;
      int len = b.getShort(p + 2) & 0xFFFF;
      if (code == 0) {
        break;
      }
      if (code == wanted) {
        byte[] v = new byte[len];
        b.get(p + 4, v);
        return new String(v, StandardCharsets.UTF_8);
      }
      p += 4 + ((len + 3) & ~3);
    }
    return "?";
  }

  private static CheckpointRefusedException bad(Path file, int offset, String why) {
    return new CheckpointRefusedException(
        file + ": corrupt channel file at byte " + offset + ": " + why);
  }
}
