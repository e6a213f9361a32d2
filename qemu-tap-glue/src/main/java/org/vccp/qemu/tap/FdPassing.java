package org.vccp.qemu.tap;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;

/**
 * Sends a file descriptor over a Unix socket with {@code SCM_RIGHTS}, the way QEMU's bridge helper
 * protocol wants it: one data byte (QEMU reads one) plus the descriptor as ancillary data.
 *
 * <pre>
 *  struct msghdr (56 bytes, x86-64)         struct cmsghdr + fd (CMSG_SPACE(4) = 24)
 *  0  msg_name        = NULL                0  cmsg_len   = CMSG_LEN(4) = 20
 *  8  msg_namelen     = 0                   8  cmsg_level = SOL_SOCKET (1)
 *  16 msg_iov         -> iovec{buf, 1}      12 cmsg_type  = SCM_RIGHTS (1)
 *  24 msg_iovlen      = 1                   16 int fd
 *  32 msg_control     -> cmsghdr
 *  40 msg_controllen  = 24
 *  48 msg_flags       = 0
 * </pre>
 */
final class FdPassing {
  private static final int SOL_SOCKET = 1;
  private static final int SCM_RIGHTS = 1;

  private FdPassing() {}

  static void send(int socketFd, int fd) {
    try (Memory msg = new Memory(56);
        Memory iov = new Memory(16);
        Memory data = new Memory(1);
        Memory control = new Memory(24)) {
      msg.clear();
      control.clear();
      data.setByte(0, (byte) 0);
      iov.setPointer(0, data);
      iov.setLong(8, 1);
      control.setLong(0, 20);
      control.setInt(8, SOL_SOCKET);
      control.setInt(12, SCM_RIGHTS);
      control.setInt(16, fd);
      msg.setPointer(16, iov);
      msg.setLong(24, 1);
      msg.setPointer(32, control);
      msg.setLong(40, 24);
      LibC.INSTANCE.sendmsg(socketFd, msg, 0);
    } catch (LastErrorException e) {
      throw new TapException(
          "cannot pass the TAP descriptor to QEMU over fd " + socketFd + ": " + e.getMessage(), e);
    }
  }
}
