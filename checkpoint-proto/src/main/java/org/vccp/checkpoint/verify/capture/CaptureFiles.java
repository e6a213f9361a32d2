package org.vccp.checkpoint.verify.capture;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Opens capture files by their magic number and lists the captures in a directory. */
public final class CaptureFiles {
  private CaptureFiles() {}

  /** Opens {@code path} as pcapng or classic pcap, whichever its first bytes say. */
  public static CaptureReader open(Path path) throws IOException {
    byte[] head = new byte[4];
    int n;
    try (InputStream s = Files.newInputStream(path)) {
      n = s.readNBytes(head, 0, 4);
    } catch (NoSuchFileException e) {
      throw new CaptureFormatException(path, 0, "no such file");
    }
    if (n < 4) {
      throw new CaptureFormatException(path, 0, "too short for a capture file (" + n + " bytes)");
    }
    int be =
        ((head[0] & 0xff) << 24)
            | ((head[1] & 0xff) << 16)
            | ((head[2] & 0xff) << 8)
            | (head[3] & 0xff);
    if (be == PcapngReader.SHB) {
      return new PcapngReader(path);
    }
    int le = Integer.reverseBytes(be);
    if (be == PcapReader.MAGIC_MICROS
        || be == PcapReader.MAGIC_NANOS
        || le == PcapReader.MAGIC_MICROS
        || le == PcapReader.MAGIC_NANOS) {
      return new PcapReader(path);
    }
    throw new CaptureFormatException(
        path, 0, String.format("neither pcapng nor pcap (first word 0x%08X)", be));
  }

  /** The {@code *.pcapng} and {@code *.pcap} files directly in {@code dir}, sorted by name. */
  public static List<Path> list(Path dir) throws IOException {
    List<Path> out = new ArrayList<>();
    try (Stream<Path> s = Files.list(dir)) {
      s.filter(Files::isRegularFile)
          .filter(
              p -> {
                String n = p.getFileName().toString();
                return n.endsWith(".pcapng") || n.endsWith(".pcap");
              })
          .sorted()
          .forEach(out::add);
    }
    return out;
  }
}
