package org.vccp.checkpoint.store;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.vccp.checkpoint.verify.capture.CaptureFormatException;
import org.vccp.checkpoint.verify.capture.CaptureReader;
import org.vccp.checkpoint.verify.capture.PcapngReader;
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
        byte[] c =
            f.offload() == 0
                ? comment
                : PcapngWriter.utf8(
                    "vccp:channel epoch="
                        + epoch
                        + " to="
                        + port
                        + " offload="
                        + Long.toHexString(f.offload()));
        w.writePacket(
            ifId, 0, b, 0, b.length, b.length, PcapngWriter.FLAGS_INBOUND, f.packetId(), c);
        bytes += b.length;
      }
    }
    return bytes;
  }

  /**
   * The {@code offload=HEX} word of a frame's comment (a super-frame held whole; see {@link
   * org.vccp.vnet.frame.Offload}), or 0.
   */
  private static long offload(Path file, CaptureReader r) {
    String c = r.comment();
    int at = c == null ? -1 : c.indexOf(" offload=");
    if (at < 0) {
      return 0;
    }
    String hex = c.substring(at + 9).split(" ", 2)[0];
    try {
      return Long.parseUnsignedLong(hex, 16);
    } catch (NumberFormatException e) {
      throw new CheckpointRefusedException(
          file + ": frame " + r.frameNumber() + " has a bad offload word '" + hex + "'");
    }
  }

  /**
   * Reads a channel file written by {@link #write} (with verify's pcapng reader): frames in order,
   * marked as replayed.
   *
   * @throws CheckpointRefusedException when the file is not a readable pcapng file
   */
  public static List<HeldFrame> read(Path file, long epoch) throws IOException {
    List<HeldFrame> frames = new ArrayList<>();
    try (CaptureReader r = new PcapngReader(file, 64 << 10)) {
      while (r.next()) {
        if (r.capturedLength() < 14 || r.capturedLength() < r.originalLength()) {
          throw new CheckpointRefusedException(
              file
                  + ": frame "
                  + r.frameNumber()
                  + " is "
                  + r.capturedLength()
                  + " of "
                  + r.originalLength()
                  + " bytes: a held frame must be a whole Ethernet frame");
        }
        byte[] frame =
            Arrays.copyOfRange(r.array(), r.dataOffset(), r.dataOffset() + r.capturedLength());
        String origin = r.captureInterface().name();
        frames.add(
            new HeldFrame(
                r.packetId(), origin != null ? origin : "?", epoch, true, frame, offload(file, r)));
      }
    } catch (CaptureFormatException e) {
      throw new CheckpointRefusedException(
          file + ": corrupt channel file at byte " + e.offset() + ": " + e.reason());
    }
    return frames;
  }
}
