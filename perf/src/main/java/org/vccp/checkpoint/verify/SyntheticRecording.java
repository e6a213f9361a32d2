package org.vccp.checkpoint.verify;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.vccp.vnet.record.PcapngWriter;

/**
 * Writes a large, clean synthetic VCCP recording for the {@code vccp verify} benchmark: four ports,
 * MAC-learning broadcasts, then unicast frames round-robin over the 12 channels (udp-seq datagrams
 * per channel, one TCP stream g3->g4 every 8th frame), each as an ingress and an egress event, a
 * checkpoint's marks every 2,000,000 frames, and rotation every 1 GiB like the Recorder. Frame
 * sizes cycle 64, 64, 64, 128, 64, 64, 512, 1500 bytes.
 *
 * <p>With {@code --plain} it writes instead what tcpdump on each guest's tap would show: one pcapng
 * per port without packet ids, marks or rotation, each frame on the sender's file and, 1 us later,
 * on the receiver's.
 *
 * <p>Usage: {@code SyntheticRecording [--plain] DIR TOTAL_BYTES}
 */
public final class SyntheticRecording {
  private static final int PORTS = 4;
  private static final int[] SIZES = {64, 64, 64, 128, 64, 64, 512, 1500};
  private static final long ROTATE_BYTES = 1L << 30;
  private static final String RUN = "5e17e7c0ffee";

  private SyntheticRecording() {}

  public static void main(String[] args) throws IOException {
    boolean plain = args.length == 3 && args[0].equals("--plain");
    if (args.length != (plain ? 3 : 2)) {
      System.err.println("usage: SyntheticRecording [--plain] DIR TOTAL_BYTES");
      System.exit(2);
    }
    int a = plain ? 1 : 0;
    Path dir = Files.createDirectories(Path.of(args[a]));
    long total = Long.parseLong(args[a + 1]);
    long start = System.nanoTime();
    long[] counts = plain ? writePlain(dir, total) : write(dir, total);
    System.out.printf(
        "wrote %,d bytes, %,d frames (%,d events) in %d files to %s in %.1f s%n",
        counts[0], counts[1], counts[2], counts[3], dir, (System.nanoTime() - start) / 1e9);
  }

  /** Returns {bytes, frames, events, files}. */
  static long[] write(Path dir, long totalBytes) throws IOException {
    Traffic traffic = new Traffic();
    byte[] frame = new byte[1500];
    long ts = 1_800_000_000_000_000_000L;
    long id = 0;
    long frames = 0;
    long events = 0;
    long written = 0;
    int index = 0;
    int epoch = 0;
    while (written < totalBytes) {
      Path file = dir.resolve(String.format("sw0-%s-%06d.pcapng", RUN, index));
      try (PcapngWriter w =
          new PcapngWriter(
              FileChannel.open(
                  file,
                  StandardOpenOption.CREATE,
                  StandardOpenOption.WRITE,
                  StandardOpenOption.TRUNCATE_EXISTING),
              4 << 20)) {
        w.writeSectionHeader(
            "vccp synthetic",
            String.format(
                "vccp-recording run=%s index=%06d switch=sw0 started=2027-01-01T00:00:00Z",
                RUN, index));
        int[] ifs = new int[PORTS + 1];
        for (int p = 1; p <= PORTS; p++) {
          ifs[p] = w.addInterface("g" + p, null, PcapngWriter.LINKTYPE_ETHERNET, 65535);
        }
        int marks =
            w.addInterface("vccp", "VCCP checkpoint marks", PcapngWriter.LINKTYPE_USER0, 65535);
        if (index == 0) {
          for (int p = 1; p <= PORTS; p++) {
            byte[] b = eth(0xffffffffffffL, p, 0x88b5, 64);
            w.writePacket(
                ifs[p],
                ts++,
                b,
                0,
                b.length,
                b.length,
                PcapngWriter.FLAGS_INBOUND,
                id,
                (String) null);
            for (int q = 1; q <= PORTS; q++) {
              if (q != p) {
                w.writePacket(
                    ifs[q],
                    ts++,
                    b,
                    0,
                    b.length,
                    b.length,
                    PcapngWriter.FLAGS_OUTBOUND,
                    id,
                    (String) null);
              }
            }
            id++;
          }
        }
        while (w.bytesWritten() < ROTATE_BYTES && written + w.bytesWritten() < totalBytes) {
          int len = traffic.next(frames, frame);
          int from = traffic.from;
          int to = traffic.to;
          w.writePacket(
              ifs[from], ts++, frame, 0, len, len, PcapngWriter.FLAGS_INBOUND, id, (String) null);
          w.writePacket(
              ifs[to], ts++, frame, 0, len, len, PcapngWriter.FLAGS_OUTBOUND, id, (String) null);
          id++;
          frames++;
          events += 2;
          if (frames % 2_000_000 == 0) {
            epoch++;
            String[] phases = {
              "begin",
              "cut port=g1 outq=0",
              "cut port=g2 outq=0",
              "cut port=g3 outq=0",
              "cut port=g4 outq=0",
              "snapshot",
              "commit"
            };
            for (String ph : phases) {
              String text = "vccp:mark epoch=" + epoch + " phase=" + ph;
              byte[] t = PcapngWriter.utf8(text);
              w.writePacket(marks, ts++, t, 0, t.length, t.length, -1, -1, text);
              events++;
            }
          }
        }
        w.flush();
        written += w.bytesWritten();
      }
      index++;
    }
    return new long[] {written, frames, events, index};
  }

  /** Per-port captures of the same traffic; returns {bytes, frames, events, files}. */
  static long[] writePlain(Path dir, long totalBytes) throws IOException {
    PcapngWriter[] w = new PcapngWriter[PORTS + 1];
    for (int p = 1; p <= PORTS; p++) {
      w[p] =
          new PcapngWriter(
              FileChannel.open(
                  dir.resolve("tap" + p + ".pcapng"),
                  StandardOpenOption.CREATE,
                  StandardOpenOption.WRITE,
                  StandardOpenOption.TRUNCATE_EXISTING),
              4 << 20);
      w[p].writeSectionHeader("synthetic tcpdump", null);
      w[p].addInterface("tap" + p, null, PcapngWriter.LINKTYPE_ETHERNET, 262144);
    }
    Traffic traffic = new Traffic();
    byte[] frame = new byte[1500];
    long ts = 1_800_000_000_000_000_000L;
    for (int p = 1; p <= PORTS; p++) {
      byte[] b = eth(0xffffffffffffL, p, 0x88b5, 64);
      b[20] = (byte) p;
      w[p].writePacket(0, ts, b, 0, b.length, b.length, -1, -1, (String) null);
      for (int q = 1; q <= PORTS; q++) {
        if (q != p) {
          w[q].writePacket(0, ts + 1000, b, 0, b.length, b.length, -1, -1, (String) null);
        }
      }
      ts += 2000;
    }
    long frames = 0;
    long written = 0;
    while (written < totalBytes) {
      int len = traffic.next(frames, frame);
      int from = traffic.from;
      int to = traffic.to;
      w[from].writePacket(0, ts, frame, 0, len, len, -1, -1, (String) null);
      w[to].writePacket(0, ts + 1000, frame, 0, len, len, -1, -1, (String) null);
      ts += 2000;
      frames++;
      if ((frames & 0xffff) == 0) {
        written = 0;
        for (int p = 1; p <= PORTS; p++) {
          written += w[p].bytesWritten();
        }
      }
    }
    for (int p = 1; p <= PORTS; p++) {
      w[p].close();
    }
    return new long[] {written, frames, frames * 2, PORTS};
  }

  /**
   * The frames both writers produce, in the same order: round-robin udp-seq datagrams over the 12
   * channels, every 8th frame a TCP segment from port 3 to port 4, sizes cycling through {@link
   * #SIZES}.
   */
  private static final class Traffic {
    private final byte[][] udp = new byte[PORTS * PORTS][];
    private final long[] udpSeq = new long[PORTS * PORTS];
    private int tcpSeq = 1;
    int from;
    int to;

    /** Writes frame number {@code n} into {@code frame}; returns its length. */
    int next(long n, byte[] frame) {
      int size = SIZES[(int) (n & 7)];
      if ((n & 7) == 5) {
        from = 3;
        to = 4;
        int len = tcp(frame, tcpSeq, size);
        tcpSeq += size - 54;
        return len;
      }
      int pair = (int) ((n >>> 3) * 7 + n) % (PORTS * (PORTS - 1));
      from = 1 + pair / (PORTS - 1);
      to = 1 + pair % (PORTS - 1);
      if (to >= from) {
        to++;
      }
      int k = from * PORTS + to - PORTS - 1;
      if (udp[k] == null) {
        udp[k] = udpTemplate(from, to, k);
      }
      int len = Math.max(size, 70);
      System.arraycopy(udp[k], 0, frame, 0, 70);
      java.util.Arrays.fill(frame, 70, len, (byte) 0);
      patchLengths(frame, len);
      ByteBuffer.wrap(frame).putLong(42 + 12, ++udpSeq[k]);
      return len;
    }
  }

  private static byte[] eth(long dst, int src, int type, int len) {
    byte[] b = new byte[len];
    ByteBuffer bb = ByteBuffer.wrap(b);
    bb.putShort((short) (dst >>> 32)).putInt((int) dst);
    bb.putShort((short) 0x5254).putInt(src);
    bb.putShort((short) type);
    return b;
  }

  private static byte[] udpTemplate(int from, int to, int flow) {
    byte[] b = eth(0x525400000000L | to, from, 0x0800, 70);
    ByteBuffer bb = ByteBuffer.wrap(b);
    bb.position(14);
    bb.put((byte) 0x45).put((byte) 0).putShort((short) 56).putInt(0x00014000);
    bb.put((byte) 64).put((byte) 17).putShort((short) 0);
    bb.putInt((10 << 24) | from).putInt((10 << 24) | to);
    bb.putShort((short) (5000 + flow))
        .putShort((short) 5000)
        .putShort((short) 36)
        .putShort((short) 0);
    bb.put("VCCPSEQ1".getBytes(java.nio.charset.StandardCharsets.US_ASCII)).putInt(flow);
    return b;
  }

  /** Sets the IPv4 and UDP lengths of a udp template copied into a frame of {@code len}. */
  private static void patchLengths(byte[] f, int len) {
    ByteBuffer bb = ByteBuffer.wrap(f);
    bb.putShort(16, (short) (len - 14));
    bb.putShort(38, (short) (len - 34));
  }

  private static int tcp(byte[] f, int seq, int size) {
    byte[] h = eth(0x525400000004L, 3, 0x0800, 54);
    System.arraycopy(h, 0, f, 0, 14);
    ByteBuffer bb = ByteBuffer.wrap(f);
    bb.position(14);
    bb.put((byte) 0x45).put((byte) 0).putShort((short) (size - 14)).putInt(0x00014000);
    bb.put((byte) 64).put((byte) 6).putShort((short) 0);
    bb.putInt((10 << 24) | 3).putInt((10 << 24) | 4);
    bb.putShort((short) 40000).putShort((short) 80).putInt(seq).putInt(1);
    bb.put((byte) 0x50).put((byte) 0x10).putShort((short) 65535).putInt(0);
    java.util.Arrays.fill(f, 54, size, (byte) 0);
    return size;
  }
}
