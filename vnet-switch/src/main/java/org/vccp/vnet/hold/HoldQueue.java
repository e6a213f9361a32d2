package org.vccp.vnet.hold;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * One port's held frames, first in first out. Up to {@code memoryLimitBytes} of frames stay in
 * memory; past that, frames are appended to a spill file and read back in order, so a long hold
 * never drops a frame and never grows the heap without bound. Forwarder thread only.
 */
public final class HoldQueue implements AutoCloseable {
  private final String port;
  private final long memoryLimitBytes;
  private final Path spillDir;
  private final ArrayDeque<HeldFrame> memory = new ArrayDeque<>();
  private long memoryBytes;

  private Path spillFile;
  private DataOutputStream spillOut;
  private DataInputStream spillIn;
  private long spilledWaiting;
  private long spilledTotal;
  private long readFromSpill;
  private long bytes;
  private long spilledEver;

  public HoldQueue(String port, long memoryLimitBytes, Path spillDir) {
    this.port = port;
    this.memoryLimitBytes = memoryLimitBytes;
    this.spillDir = spillDir;
  }

  public void add(HeldFrame f) {
    bytes += f.frame().length;
    if (spilledWaiting == 0 && memoryBytes + f.frame().length <= memoryLimitBytes) {
      memory.add(f);
      memoryBytes += f.frame().length;
      return;
    }
    try {
      if (spillOut == null) {
        spillFile = Files.createTempFile(spillDir, "vccp-hold-" + port + "-", ".spill");
        spillOut =
            new DataOutputStream(
                new BufferedOutputStream(Files.newOutputStream(spillFile), 1 << 16));
      }
      spillOut.writeLong(f.packetId());
      spillOut.writeUTF(f.origin());
      spillOut.writeLong(f.epoch());
      spillOut.writeBoolean(f.replayed());
      spillOut.writeLong(f.offload());
      spillOut.writeInt(f.frame().length);
      spillOut.write(f.frame());
      spilledWaiting++;
      spilledTotal++;
      spilledEver++;
    } catch (IOException e) {
      throw new UncheckedIOException("hold queue of port " + port + ": cannot spill to disk", e);
    }
  }

  public boolean isEmpty() {
    return memory.isEmpty() && spilledWaiting == 0;
  }

  public long size() {
    return memory.size() + spilledWaiting;
  }

  /** Bytes of frames waiting, in memory and on disk. */
  public long bytes() {
    return bytes;
  }

  /** Frames that went to disk since this queue was created. */
  public long spilledEver() {
    return spilledEver;
  }

  /** The oldest frame, or null. */
  public HeldFrame peek() {
    refill();
    return memory.peek();
  }

  /** Removes and returns the oldest frame, or null. */
  public HeldFrame poll() {
    refill();
    HeldFrame f = memory.poll();
    if (f != null) {
      memoryBytes -= f.frame().length;
      bytes -= f.frame().length;
    }
    return f;
  }

  /** Every frame waiting, oldest first, without removing any. */
  public List<HeldFrame> snapshot() {
    List<HeldFrame> all = new ArrayList<>(memory);
    if (spilledWaiting > 0) {
      try {
        spillOut.flush();
        try (DataInputStream in = openSpill()) {
          for (long i = 0; i < spilledTotal; i++) {
            HeldFrame f = read(in);
            if (i >= readFromSpill) {
              all.add(f);
            }
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException("hold queue of port " + port + ": cannot read spill", e);
      }
    }
    return all;
  }

  /** Moves frames from disk into memory once memory is empty, keeping order. */
  private void refill() {
    if (!memory.isEmpty() || spilledWaiting == 0) {
      return;
    }
    try {
      spillOut.flush();
      if (spillIn == null) {
        spillIn = openSpill();
      }
      long budget = memoryLimitBytes;
      while (spilledWaiting > 0 && (memory.isEmpty() || budget > 0)) {
        HeldFrame f = read(spillIn);
        memory.add(f);
        memoryBytes += f.frame().length;
        budget -= f.frame().length;
        spilledWaiting--;
        readFromSpill++;
      }
      if (spilledWaiting == 0) {
        closeSpill();
      }
    } catch (IOException e) {
      throw new UncheckedIOException("hold queue of port " + port + ": cannot read spill", e);
    }
  }

  private DataInputStream openSpill() throws IOException {
    return new DataInputStream(new BufferedInputStream(Files.newInputStream(spillFile), 1 << 16));
  }

  private static HeldFrame read(DataInputStream in) throws IOException {
    long id = in.readLong();
    String origin = in.readUTF();
    long epoch = in.readLong();
    boolean replayed = in.readBoolean();
    long offload = in.readLong();
    byte[] frame = new byte[in.readInt()];
    in.readFully(frame);
    return new HeldFrame(id, origin, epoch, replayed, frame, offload);
  }

  private void closeSpill() throws IOException {
    if (spillIn != null) {
      spillIn.close();
      spillIn = null;
    }
    if (spillOut != null) {
      spillOut.close();
      spillOut = null;
    }
    if (spillFile != null) {
      Files.deleteIfExists(spillFile);
      spillFile = null;
    }
    spilledWaiting = 0;
    spilledTotal = 0;
    readFromSpill = 0;
  }

  /** Forgets every frame and deletes the spill file. */
  @Override
  public void close() {
    memory.clear();
    memoryBytes = 0;
    bytes = 0;
    try {
      closeSpill();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
