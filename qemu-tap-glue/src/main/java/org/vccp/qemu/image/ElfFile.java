package org.vccp.qemu.image;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Just enough ELF reading to tell a static executable (no {@code PT_INTERP} program header) from a
 * dynamic one: an initramfs has no loader or libc, so only static binaries run there.
 *
 * <pre>
 * ELF64 header: 0x00 magic 7f 'E' 'L' 'F' | 0x04 class (2 = 64-bit) | 0x05 data (1 = LE)
 *               0x20 e_phoff (u64) | 0x36 e_phentsize (u16) | 0x38 e_phnum (u16)
 * program header: 0x00 p_type (u32), PT_INTERP = 3
 * </pre>
 */
final class ElfFile {

  private static final int PT_INTERP = 3;

  private ElfFile() {}

  /** True for a little-endian ELF64 executable that needs no dynamic loader. */
  static boolean isStaticExecutable(Path path) throws IOException {
    try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
      ByteBuffer header = read(channel, 0, 64);
      if (header.remaining() < 64
          || header.getInt(0) != 0x464c457f
          || header.get(4) != 2
          || header.get(5) != 1) {
        return false;
      }
      long programHeaderOffset = header.getLong(0x20);
      int entrySize = Short.toUnsignedInt(header.getShort(0x36));
      int entries = Short.toUnsignedInt(header.getShort(0x38));
      if (entrySize < 4) {
        return false;
      }
      ByteBuffer table = read(channel, programHeaderOffset, entrySize * entries);
      for (int i = 0; i + 4 <= table.remaining(); i += entrySize) {
        if (table.getInt(i) == PT_INTERP) {
          return false;
        }
      }
      return true;
    }
  }

  private static ByteBuffer read(FileChannel channel, long position, int length)
      throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
    while (buffer.hasRemaining() && channel.read(buffer, position + buffer.position()) > 0) {
      // keep reading until full or end of file
    }
    return buffer.flip();
  }
}
