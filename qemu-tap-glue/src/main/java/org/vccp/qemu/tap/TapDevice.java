package org.vccp.qemu.tap;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.NativeLong;
import java.nio.charset.StandardCharsets;

/**
 * A TAP interface created through {@code /dev/net/tun} and held open by its file descriptor: the
 * interface exists as long as some process holds the descriptor (QEMU, once the bridge helper has
 * passed it on).
 *
 * <pre>
 *  struct ifreq (40 bytes on x86-64):
 *  +----------------------+---------------+---------------------+
 *  | ifr_name[16] (NUL)   | ifr_flags (2) | union padding (22)  |
 *  +----------------------+---------------+---------------------+
 * </pre>
 */
public final class TapDevice implements AutoCloseable {
  static final int IFF_TAP = 0x0002;
  static final int IFF_NO_PI = 0x1000;
  static final int IFF_VNET_HDR = 0x4000;

  /** {@code _IOW('T', 202, int)}. */
  private static final long TUNSETIFF = 0x400454caL;

  private static final int IFREQ_BYTES = 40;
  private static final int IFNAMSIZ = 16;

  private final String name;
  private int fd;

  private TapDevice(String name, int fd) {
    this.name = name;
    this.fd = fd;
  }

  /**
   * Creates a TAP ({@code IFF_TAP | IFF_NO_PI}, plus {@code IFF_VNET_HDR} if asked).
   *
   * @param namePattern an interface name, or a pattern with {@code %d} the kernel fills in
   * @throws TapException naming the device and the errno text
   */
  public static TapDevice create(String namePattern, boolean vnetHeader) {
    byte[] nameBytes = namePattern.getBytes(StandardCharsets.US_ASCII);
    if (nameBytes.length >= IFNAMSIZ) {
      throw new TapException("TAP name '" + namePattern + "' is longer than 15 bytes");
    }
    int fd;
    try {
      fd = LibC.INSTANCE.open("/dev/net/tun", LibC.O_RDWR | LibC.O_CLOEXEC);
    } catch (LastErrorException e) {
      throw new TapException(
          "cannot open /dev/net/tun: " + e.getMessage() + " (needs root or CAP_NET_ADMIN)", e);
    }
    try (Memory ifr = new Memory(IFREQ_BYTES)) {
      ifr.clear();
      ifr.write(0, nameBytes, 0, nameBytes.length);
      int flags = IFF_TAP | IFF_NO_PI | (vnetHeader ? IFF_VNET_HDR : 0);
      ifr.setShort(IFNAMSIZ, (short) flags);
      LibC.INSTANCE.ioctl(fd, new NativeLong(TUNSETIFF), ifr);
      return new TapDevice(ifr.getString(0, StandardCharsets.US_ASCII.name()), fd);
    } catch (LastErrorException e) {
      LibC.INSTANCE.close(fd);
      throw new TapException(
          "cannot create TAP '" + namePattern + "': TUNSETIFF failed: " + e.getMessage(), e);
    }
  }

  /** The interface name the kernel gave it. */
  public String name() {
    return name;
  }

  /** The descriptor that keeps the TAP alive; -1 once closed. */
  public int fd() {
    return fd;
  }

  /** Closes this process's descriptor (the TAP goes away unless another process holds one). */
  @Override
  public void close() {
    if (fd >= 0) {
      LibC.INSTANCE.close(fd);
      fd = -1;
    }
  }
}
