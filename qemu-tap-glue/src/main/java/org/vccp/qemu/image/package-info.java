/**
 * The real test guest: Debian's cloud kernel and a busybox initramfs whose {@code /init} is driven
 * by {@code vccp.*} kernel parameters and reports on the serial console.
 *
 * <p>The guest is built, not downloaded as an opaque image, so that every byte comes from the
 * host's apt mirror and the project's own files: {@link org.vccp.qemu.image.GuestImageKit} fetches
 * two kernel packages, takes vmlinuz and eight virtio modules, adds the host's static busybox (and,
 * when gcc is there, a static UDP helper), and packs an initramfs with {@code cpio}. The result is
 * cached by a hash of its inputs and verified by SHA-256 on every use.
 *
 * <p>The contract with the guest is textual and small. In: {@link org.vccp.qemu.image.GuestParams}
 * on the kernel command line. Out: lines {@code VCCP <EVENT> key=value ...} on ttyS0, parsed by
 * {@link org.vccp.qemu.image.GuestEvent}. Both are documented in qemu-tap-glue/README.md; the
 * script itself is the resource {@code init.sh} in this package.
 */
package org.vccp.qemu.image;
