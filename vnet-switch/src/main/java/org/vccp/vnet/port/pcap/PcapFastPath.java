package org.vccp.vnet.port.pcap;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import java.lang.reflect.Field;
import org.pcap4j.core.PcapHandle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The per-frame libpcap calls of a {@link PcapPort}, made through JNA direct mapping on the {@code
 * pcap_t} of a pcap4j handle. pcap4j opens, configures, counts and closes the handle; only reading
 * and injecting frames come here, because pcap4j's way costs per frame what the frame itself does
 * not: an interface-mapped JNA call, a callback into Java, a new {@code byte[]} and a {@code
 * Timestamp} per captured frame, and for {@code sendPacket} a copy of the whole array into native
 * memory and back. Here a frame is one direct native call plus one copy.
 *
 * <p>pcap4j does not expose the {@code pcap_t}; it is read from its private field once per handle.
 * If that ever fails (another pcap4j version), {@link #available()} is false and the port keeps
 * pcap4j's own path.
 */
final class PcapFastPath {
  private static final Logger LOG = LoggerFactory.getLogger(PcapFastPath.class);

  /** {@code struct pcap_pkthdr} on LP64 Linux: a 16-byte timeval, then caplen and len. */
  static final int CAPLEN_OFFSET = 16;

  static final int LEN_OFFSET = 20;

  /** {@code POLLIN} from poll.h. */
  private static final short POLLIN = 1;

  private static final Field HANDLE_FIELD;
  private static final boolean AVAILABLE;

  static {
    Field f = null;
    boolean ok = false;
    try {
      if (Platform.isLinux() && Platform.is64Bit()) {
        f = PcapHandle.class.getDeclaredField("handle");
        f.setAccessible(true);
        Native.register(
            Pcap.class,
            NativeLibrary.getInstance(System.getProperty("org.pcap4j.core.pcapLibName", "pcap")));
        Native.register(Libc.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
        ok = true;
      }
    } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
      LOG.warn("pcap ports use pcap4j's slower per-frame path: {}", e.toString());
    }
    HANDLE_FIELD = f;
    AVAILABLE = ok;
  }

  private PcapFastPath() {}

  static boolean available() {
    return AVAILABLE;
  }

  /** The {@code pcap_t} behind a pcap4j handle. */
  static Pointer pcapOf(PcapHandle h) {
    try {
      return (Pointer) HANDLE_FIELD.get(h);
    } catch (IllegalAccessException e) {
      throw new IllegalStateException(e);
    }
  }

  /** libpcap, direct-mapped. */
  static final class Pcap {
    private Pcap() {}

    static native int pcap_next_ex(Pointer p, Pointer headerOut, Pointer dataOut);

    static native int pcap_sendpacket(Pointer p, Pointer buf, int size);

    static native int pcap_setnonblock(Pointer p, int nonblock, Pointer errbuf);

    static native int pcap_get_selectable_fd(Pointer p);

    static native String pcap_geterr(Pointer p);
  }

  /** libc, direct-mapped. */
  static final class Libc {
    private Libc() {}

    static native int poll(Pointer fds, long nfds, int timeoutMs);

    static native int setsockopt(int fd, int level, int optname, Pointer optval, int optlen);
  }

  private static final int SOL_PACKET = 263;
  private static final int PACKET_IGNORE_OUTGOING = 23;

  /**
   * Makes the kernel stop copying the interface's outgoing frames to this capture (Linux 4.20+).
   * libpcap 1.10 filters direction IN in user space, so every frame that something else on the host
   * sends out of the interface (the host's own traffic on an uplink, another capture's injections)
   * was copied into the port's capture ring, woke its capture thread and was skipped there. (The
   * frames the port itself injects never came back: the kernel does not loop a packet socket's own
   * sends to it.) Returns false where the kernel does not know the option; the user-space filter
   * still applies then.
   */
  static boolean ignoreOutgoing(PcapHandle h) {
    if (!AVAILABLE) {
      return false;
    }
    int fd = Pcap.pcap_get_selectable_fd(pcapOf(h));
    if (fd < 0) {
      return false;
    }
    Memory one = new Memory(4);
    one.setInt(0, 1);
    return Libc.setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, one, 4) == 0;
  }

  /**
   * Reads frames from one handle without blocking, and waits for more with {@code poll}. One
   * thread: the port's capture thread. The pointers libpcap returns stay valid only until the next
   * read, so each frame is copied out before the next call.
   */
  static final class Reader {
    private final PcapHandle handle;
    private final Pointer pcap;
    private final Memory out = new Memory(16);
    private final Pointer headerOut = out.share(0);
    private final Pointer dataOut = out.share(8);
    private final Memory pollFd = new Memory(8);

    /** A pointer at address 0: {@code ZERO.getInt(addr)} reads the int at {@code addr}. */
    private static final Pointer ZERO = new Pointer(0);

    private long data;
    private int capLen;
    private int wireLen;

    /** Puts the handle in non-blocking mode; its reads then return at once. */
    Reader(PcapHandle handle) throws org.pcap4j.core.PcapNativeException {
      this.handle = handle;
      this.pcap = pcapOf(handle);
      Memory errbuf = new Memory(256);
      if (Pcap.pcap_setnonblock(pcap, 1, errbuf) != 0) {
        throw new org.pcap4j.core.PcapNativeException("pcap_setnonblock: " + errbuf.getString(0));
      }
      int fd = Pcap.pcap_get_selectable_fd(pcap);
      if (fd < 0) {
        throw new org.pcap4j.core.PcapNativeException("the capture has no selectable fd");
      }
      pollFd.setInt(0, fd);
      pollFd.setShort(4, POLLIN);
    }

    /** Whether this reader reads {@code h} (a reopen replaces the handle). */
    boolean reads(PcapHandle h) {
      return handle == h;
    }

    /**
     * The next frame, if one is ready: true and {@link #capturedLength()}, {@link #wireLength()}
     * and {@link #copyTo} describe it; false when none is waiting.
     *
     * @throws org.pcap4j.core.PcapNativeException with libpcap's reason on a read error
     */
    boolean next() throws org.pcap4j.core.PcapNativeException {
      int r = Pcap.pcap_next_ex(pcap, headerOut, dataOut);
      if (r == 1) {
        long header = out.getLong(0);
        data = out.getLong(8);
        capLen = ZERO.getInt(header + CAPLEN_OFFSET);
        wireLen = ZERO.getInt(header + LEN_OFFSET);
        return true;
      }
      if (r == 0) {
        return false;
      }
      throw new org.pcap4j.core.PcapNativeException(Pcap.pcap_geterr(pcap), r);
    }

    int capturedLength() {
      return capLen;
    }

    int wireLength() {
      return wireLen;
    }

    /** Copies the current frame's captured bytes to {@code dst} at {@code offset}. */
    void copyTo(byte[] dst, int offset) {
      ZERO.read(data, dst, offset, capLen);
    }

    /** Waits until a frame is ready, at most {@code timeoutMs}. */
    void await(int timeoutMs) {
      pollFd.setShort(6, (short) 0);
      Libc.poll(pollFd, 1, timeoutMs);
    }
  }

  /** Injects frames from one reusable native buffer. One thread: the forwarder. */
  static final class Sender {
    private final Memory buf = new Memory(org.vccp.vnet.ring.FrameRing.MAX_FRAME_BYTES);

    /**
     * Injects {@code length} bytes of {@code frame} on {@code pcap}.
     *
     * @return null, or libpcap's error text
     */
    String send(Pointer pcap, byte[] frame, int offset, int length) {
      buf.write(0, frame, offset, length);
      if (Pcap.pcap_sendpacket(pcap, buf, length) == 0) {
        return null;
      }
      return Pcap.pcap_geterr(pcap);
    }
  }
}
