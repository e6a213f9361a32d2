/**
 * {@code vccp sim-guest}: a simulated QEMU guest, so that checkpoint code can be tested in seconds
 * and the demo can run where QEMU is absent, through exactly the code paths real guests take.
 *
 * <p>It is shaped like QEMU rather than like a test double. {@link org.vccp.qemu.sim.SimGuest}
 * wires a {@link org.vccp.qemu.sim.SimMachine} (run state, guest clock, one lock standing in for
 * QEMU's big lock, and a vCPU thread that runs the workload), a {@code StreamNetdev} with QEMU
 * 7.2's framing and reconnect rules, a serial file, and a {@code QmpServer} with QEMU's wire
 * format, errors and events. The things VCCP depends on are reproduced on purpose: a stopped guest
 * neither reads nor writes its socket; a reader blocked in {@code read} when the guest stops may
 * still take one frame, which then waits outside guest memory and is lost by a restore, as in QEMU;
 * migrating a running guest stops it; an incoming image resumes in the state it was saved in
 * ({@code paused} for a stopped guest) and a stream that fails to load ends the process.
 *
 * <p>Everything a real guest keeps in RAM — workload counters, the next sequence number, the
 * receiver's seen-set, the ARP cache, the NIC's transmit ring, the guest clock — lives in {@code
 * GuestMemory} and is the migration stream, inside a magic/version/length/CRC-32C envelope ({@code
 * StateCodec}) so a damaged image is refused with a reason. The guest clock stops while the guest
 * is paused and is restored with the image, so workloads paced by it neither burst nor skip.
 */
package org.vccp.qemu.sim;
