/**
 * The switch benchmark's load generator and the peers it measures.
 *
 * <h2>Shape</h2>
 *
 * A peer under test ({@link org.vccp.perf.loadgen.PeerUnderTest}: the VCCP switch, or QEMU's hub as
 * the baseline) listens on one Unix stream socket per port with QEMU's {@code -netdev stream}
 * framing. The {@link org.vccp.perf.loadgen.LoadGenerator} connects to every socket as a client,
 * exactly as a QEMU guest with {@code server=off} would, so the peer cannot tell it from guests.
 * Ports are senders first, then receivers; each owns a locally administered MAC.
 *
 * <h2>Why one thread per port</h2>
 *
 * A port both writes and reads: a hub floods every frame to every port, and a port that stopped
 * reading would stall the hub for everyone. One thread per port keeps each loop simple (write a 64
 * KiB batch, read whatever is waiting, sleep on the socket) and lets the kernel run senders and
 * receivers on different cores. Receivers switch to plain blocking reads once the run starts: the
 * cheapest wakeup there is, and the receive path is where the generator spends its CPU (the kernel
 * frees one socket buffer per frame QEMU wrote). Frames live only in preallocated direct buffers
 * and are read and written in place ({@link org.vccp.perf.loadgen.TestFrame}); nothing is allocated
 * per frame.
 *
 * <h2>What is measured</h2>
 *
 * Receivers broadcast a hello until every sender has heard each of them, which both teaches a
 * learning switch where the receivers are and proves the path works before the clock starts. Then
 * warmup, the measurement window, and a drain that ends when every frame arrived, when nothing
 * arrived for a quiet period, or at a bound. Rates count frames received inside the window; loss,
 * duplicates and reordering are exact over the whole run ({@link
 * org.vccp.perf.loadgen.SequenceTracker}); latency is receive time minus the frame's timestamp,
 * which in paced mode is the intended send time, so a stall is charged to every frame it delayed
 * (no coordinated omission).
 */
package org.vccp.perf.loadgen;
