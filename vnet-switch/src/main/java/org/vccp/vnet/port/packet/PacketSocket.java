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

  /** Room for about 60 super-frames in flight towards a NIC before a send is refused. */
  private static final int SEND_BUFFER_BYTES = 4 << 20;

  private static final int AF_PACKET = 17;
  private static final int SOCK_RAW = 3;
  private static final int SOCK_CLOEXEC = 0x80000;
  private static final int ETH_P_ALL_BE = 0x0300; // htons(ETH_P_ALL) as the u16 in memory order
  private static final int SOL_SOCKET = 1;
  private static final int SO_SNDBUF = 7;
  private static final int SO_RCVBUF = 8;
  private static final int SO_SNDBUFFORCE = 32;
  private static final int SO_RCVTIMEO = 20;
  private static final int SO_RCVBUFFORCE = 33;
  private static final int SOL_PACKET = 263;
  private static final int PACKET_ADD_MEMBERSHIP = 1;
  private static final int PACKET_STATISTICS = 6;
  private static final int PACKET_AUXDATA = 8;
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

    static native long recvmsg(int fd, Pointer msghdr, int flags);

    static native long send(int fd, Pointer buf, long len, int flags);

    static native int close(int fd);

    static native int if_nametoindex(String name);

    static native String strerror(int errno);
  }

  /** {@code struct tpacket_auxdata.tp_status} bits: the kernel took a VLAN tag off the frame. */
  private static final int TP_STATUS_VLAN_VALID = 0x10;

  private static final int TP_STATUS_VLAN_TPID_VALID = 0x40;

  private final int fd;
  private final Memory scratch = new Memory(16);
  private final Memory statsLen = new Memory(4);

  /**
   * The receiving thread's {@code struct msghdr} (56 bytes), its one {@code iovec} (16) and room
   * for a {@code PACKET_AUXDATA} control message (16-byte header + 20-byte auxdata, padded).
   */
  private final Memory msg = new Memory(56 + 16 + 64);

  private int vlanTag;

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
      // the kernel takes a received frame's VLAN tag off before packet sockets see it (on
      // interfaces that accelerate VLANs, veth and tun included) and reports it here
      s.setInt(SOL_PACKET, PACKET_AUXDATA, 1, "PACKET_AUXDATA");
      if (Libc.setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, s.intValue(SEND_BUFFER_BYTES), 4) != 0) {
        s.setInt(SOL_SOCKET, SO_SNDBUF, SEND_BUFFER_BYTES, "SO_SNDBUF");
      }
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
   * none within the timeout, or none waiting with {@link #MSG_DONTWAIT}). {@link #vlanTag()} then
   * tells the VLAN tag the kernel took off the frame, if any. One thread only.
   */
  long receive(Pointer buf, long capacity, boolean wait) {
    Pointer iov = msg.share(56);
    iov.setPointer(0, buf);
    iov.setLong(8, capacity);
    msg.setPointer(0, null); // msg_name
    msg.setInt(8, 0);
    msg.setPointer(16, iov);
    msg.setLong(24, 1);
    msg.setPointer(32, msg.share(72)); // msg_control
    msg.setLong(40, 64);
    msg.setInt(48, 0);
    long n = Libc.recvmsg(fd, msg, MSG_TRUNC | (wait ? 0 : MSG_DONTWAIT));
    vlanTag = n >= 0 ? readVlanTag() : 0;
    return n;
  }

  /** The tag of {@code struct tpacket_auxdata} in the control message, if valid, else 0. */
  private int readVlanTag() {
    long controlLen = msg.getLong(40);
    if (controlLen < 16 + 20) {
      return 0;
    }
    Pointer c = msg.share(72); // struct cmsghdr: len (8), level (4), type (4), data
    if (c.getInt(8) != SOL_PACKET || c.getInt(12) != PACKET_AUXDATA) {
      return 0;
    }
    int status = c.getInt(16);
    if ((status & TP_STATUS_VLAN_VALID) == 0) {
      return 0;
    }
    int tci = c.getShort(16 + 16) & 0xFFFF;
    int tpid = (status & TP_STATUS_VLAN_TPID_VALID) != 0 ? c.getShort(16 + 18) & 0xFFFF : 0x8100;
    return tpid << 16 | tci;
  }

  /**
   * The VLAN tag (TPID in the high 16 bits, TCI in the low) that the kernel removed from the frame
   * the last {@link #receive} read, or 0 when it had none.
   */
  int vlanTag() {
    return vlanTag;
  }

  /**
   * Writes one frame preceded by its virtio-net header, never waiting: a full send buffer (a
   * physical link slower than the switch) refuses the frame rather than stop the forwarder. False
   * with {@link #errno()} set.
   */
  boolean send(Pointer buf, long length) {
    return Libc.send(fd, buf, length, MSG_DONTWAIT) == length;
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
