package org.vccp.vnet.port.packet;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import org.vccp.vnet.frame.Offload;

/**
 * A Linux packet socket ({@code AF_PACKET, SOCK_RAW}) bound to one interface, with {@code
 * PACKET_VNET_HDR}: every frame read or written is preceded by a {@code struct virtio_net_hdr} that
 * carries its offloads (see {@link Offload}). This is what libpcap cannot do (it never sets the
 * option, and a socket with a capture ring refuses it), and what lets an interface keep TSO, GSO
 * and checksum offload on: the kernel hands over 64 KiB super-frames with unfinished checksums and
 * takes them back the same way, exactly as it does between a tap and QEMU's virtio-net.
 *
 * <p>Plain libc calls through JNA direct mapping (JNA comes with pcap4j). Reads block for at most
 * {@link #RECEIVE_TIMEOUT_MS} so that the reading thread can notice a close. One reader thread and
 * one writer thread at a time; {@link #close} only after both are done.
 */
final class PacketSocket implements AutoCloseable {
  static final int RECEIVE_TIMEOUT_MS = 100;

  private static final int AF_PACKET = 17;
  private static final int SOCK_RAW = 3;
  private static final int SOCK_CLOEXEC = 0x80000;
  private static final int ETH_P_ALL_BE = 0x0300; // htons(ETH_P_ALL) as the u16 in memory order
  private static final int SOL_SOCKET = 1;
  private static final int SO_RCVBUF = 8;
  private static final int SO_RCVTIMEO = 20;
  private static final int SO_RCVBUFFORCE = 33;
  private static final int SOL_PACKET = 263;
  private static final int PACKET_ADD_MEMBERSHIP = 1;
  private static final int PACKET_STATISTICS = 6;
  private static final int PACKET_VNET_HDR = 15;
  private static final int PACKET_QDISC_BYPASS = 20;
  private static final int PACKET_IGNORE_OUTGOING = 23;
  private static final int PACKET_MR_PROMISC = 1;
  static final int MSG_TRUNC = 0x20;
  static final int MSG_DONTWAIT = 0x40;
  static final int EAGAIN = 11;
  static final int ENETDOWN = 100;

  private static final String UNAVAILABLE;

  static {
    String why = null;
    try {
      if (!Platform.isLinux() || !Platform.is64Bit()) {
        why = "packet sockets need 64-bit Linux";
      } else {
        Native.register(Libc.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
      }
    } catch (RuntimeException | LinkageError e) {
      why = "cannot reach libc through JNA: " + e;
    }
    UNAVAILABLE = why;
  }

  /** libc, direct-mapped. */
  static final class Libc {
    private Libc() {}

    static native int socket(int domain, int type, int protocol);

    static native int bind(int fd, Pointer addr, int len);

    static native int setsockopt(int fd, int level, int name, Pointer value, int len);

    static native int getsockopt(int fd, int level, int name, Pointer value, Pointer len);

    static native long recv(int fd, Pointer buf, long len, int flags);

    static native long send(int fd, Pointer buf, long len, int flags);

    static native int close(int fd);

    static native int if_nametoindex(String name);

    static native String strerror(int errno);
  }

  private final int fd;
  private final Memory scratch = new Memory(16);
  private final Memory statsLen = new Memory(4);

  private PacketSocket(int fd) {
    this.fd = fd;
  }

  /**
   * Opens a socket on {@code device} that reads what the interface receives (promiscuous, not what
   * it sends) with a virtio-net header on every frame.
   *
   * @throws java.io.IOException naming the call that failed and why
   */
  static PacketSocket open(String device, int receiveBufferBytes) throws java.io.IOException {
    if (UNAVAILABLE != null) {
      throw new java.io.IOException(UNAVAILABLE);
    }
    int ifindex = Libc.if_nametoindex(device);
    if (ifindex == 0) {
      throw new java.io.IOException("no interface " + device + ": " + lastError());
    }
    // protocol 0: nothing is queued until bind names the interface and ETH_P_ALL
    int fd = Libc.socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      throw new java.io.IOException("socket(AF_PACKET): " + lastError());
    }
    PacketSocket s = new PacketSocket(fd);
    try {
      s.setInt(SOL_PACKET, PACKET_VNET_HDR, 1, "PACKET_VNET_HDR");
      s.setInt(SOL_PACKET, PACKET_IGNORE_OUTGOING, 1, "PACKET_IGNORE_OUTGOING");
      if (System.getProperty("vccp.qdiscBypass") != null) {
        s.setInt(SOL_PACKET, PACKET_QDISC_BYPASS, 1, "PACKET_QDISC_BYPASS");
      }
      if (Libc.setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, s.intValue(receiveBufferBytes), 4) != 0) {
        s.setInt(SOL_SOCKET, SO_RCVBUF, receiveBufferBytes, "SO_RCVBUF");
      }
      Memory tv = new Memory(16);
      tv.setLong(0, 0);
      tv.setLong(8, RECEIVE_TIMEOUT_MS * 1000L);
      s.check(Libc.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, tv, 16), "SO_RCVTIMEO");
      Memory ll = new Memory(20); // struct sockaddr_ll
      ll.clear();
      ll.setShort(0, (short) AF_PACKET);
      ll.setShort(2, (short) ETH_P_ALL_BE);
      ll.setInt(4, ifindex);
      s.check(Libc.bind(fd, ll, 20), "bind to " + device);
      Memory mreq = new Memory(16); // struct packet_mreq
      mreq.clear();
      mreq.setInt(0, ifindex);
      mreq.setShort(4, (short) PACKET_MR_PROMISC);
      s.check(Libc.setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, mreq, 16), "promiscuous mode");
      return s;
    } catch (java.io.IOException | RuntimeException e) {
      s.close();
      throw e;
    }
  }

  private Memory intValue(int v) {
    scratch.setInt(0, v);
    return scratch;
  }

  private void setInt(int level, int name, int value, String what) throws java.io.IOException {
    check(Libc.setsockopt(fd, level, name, intValue(value), 4), what);
  }

  private void check(int rc, String what) throws java.io.IOException {
    if (rc != 0) {
      throw new java.io.IOException(what + ": " + lastError());
    }
  }

  static int errno() {
    return Native.getLastError();
  }

  static String lastError() {
    int e = errno();
    return Libc.strerror(e) + " (errno " + e + ")";
  }

  /**
   * Reads one frame with its virtio-net header into {@code buf}: its full length (header included;
   * more than {@code capacity} means it was cut), or -1 with {@link #errno()} set ({@link #EAGAIN}:
   * none within the timeout, or none waiting with {@link #MSG_DONTWAIT}).
   */
  long receive(Pointer buf, long capacity, boolean wait) {
    return Libc.recv(fd, buf, capacity, MSG_TRUNC | (wait ? 0 : MSG_DONTWAIT));
  }

  /** Writes one frame preceded by its virtio-net header; false with {@link #errno()} set. */
  boolean send(Pointer buf, long length) {
    return Libc.send(fd, buf, length, 0) == length;
  }

  /** Frames the kernel dropped for want of room in this socket since the last call. */
  long takeDrops() {
    Memory st = new Memory(8); // struct tpacket_stats: packets, drops
    statsLen.setInt(0, 8);
    if (Libc.getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, st, statsLen) != 0) {
      return 0;
    }
    return st.getInt(4) & 0xFFFF_FFFFL;
  }

  @Override
  public void close() {
    Libc.close(fd);
  }
}
