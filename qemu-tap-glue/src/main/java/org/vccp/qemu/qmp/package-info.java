/**
 * A client for QEMU's machine protocol (QMP), the control channel of every guest VCCP checkpoints.
 *
 * <p>QMP is line-delimited JSON over a Unix socket: a greeting, then commands answered in order and
 * asynchronous events in between. The client reads whole lines ({@code LineBasedFrameDecoder}, so a
 * message split over reads or several messages in one read make no difference) on one shared Netty
 * epoll thread ({@link org.vccp.qemu.qmp.QmpIo}), and {@link org.vccp.qemu.qmp.QmpSession} sorts
 * each into greeting, answer or event. Answers are matched by the {@code id} the client put on its
 * command, not by order, so a command that timed out cannot hand its late answer to the next one.
 *
 * <p>Control is never lost silently: every command ends in its answer, QEMU's error ({@link
 * org.vccp.qemu.qmp.QmpException} with QEMU's class and description), its own timeout, or — the
 * moment the socket closes because QEMU died — a {@link org.vccp.qemu.qmp.QmpConnectionException},
 * for all waiting commands at once. A checkpoint coordinator can therefore bound every step and
 * tell "QEMU said no" from "QEMU is gone".
 *
 * <p>Events are handed to a per-client thread in wire order, so a listener may block (for example
 * call {@code query-status} on {@code STOP}) without stalling the I/O thread or other guests.
 */
package org.vccp.qemu.qmp;
