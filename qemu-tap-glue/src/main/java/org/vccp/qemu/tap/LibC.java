package org.vccp.qemu.tap;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;

/**
 * The few libc calls the TAP tools need that Java has no API for: {@code ioctl(TUNSETIFF)} on
 * {@code /dev/net/tun} and {@code sendmsg} with an {@code SCM_RIGHTS} control message. Through JNA
 * (already on the classpath via pcap4j), so no native code of our own is built.
 */
interface LibC extends Library {
  LibC INSTANCE = Native.load("c", LibC.class);

  int O_RDWR = 2;
  int O_CLOEXEC = 0x80000;

  int open(String path, int flags) throws LastErrorException;

  /** {@code ioctl(fd, request, arg)}; libc's prototype is variadic, the ABI matches. */
  int ioctl(int fd, NativeLong request, Pointer arg) throws LastErrorException;

  NativeLong sendmsg(int fd, Pointer msghdr, int flags) throws LastErrorException;

  int close(int fd) throws LastErrorException;
}
