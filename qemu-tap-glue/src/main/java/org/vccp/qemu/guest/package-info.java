/**
 * Launching real QEMU guests for tests and the demo.
 *
 * <p>A {@link org.vccp.qemu.guest.GuestSpec} is the whole truth about a guest's command line:
 * {@link org.vccp.qemu.guest.QemuCommandLine#build} is a pure function of it, so a checkpoint can
 * record the spec and a restore can relaunch the identical QEMU with {@code -incoming defer} added.
 * NICs are virtio-net on {@code -netdev stream} sockets ({@link org.vccp.qemu.guest.StreamSocket}),
 * which is what the switch's stream ports speak.
 *
 * <p>{@link org.vccp.qemu.guest.QemuGuest} owns one QEMU process. Nothing here sleeps to "give the
 * guest time": callers wait for a serial line, a VCCP event or a listening socket, each with a
 * deadline, and a guest that dies is reported at once with the tail of its serial and QEMU logs.
 */
package org.vccp.qemu.guest;
