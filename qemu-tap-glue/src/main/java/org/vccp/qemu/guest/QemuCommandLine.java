package org.vccp.qemu.guest;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns a {@link GuestSpec} into QEMU 7.2's argument list; a pure function, so the same spec always
 * gives the same list (restore relaunches a guest with the identical command line plus {@code
 * -incoming defer}). For two NICs on Unix sockets it reads:
 *
 * <pre>
 * qemu-system-x86_64 -name g1 -accel tcg -machine q35 -m 128 -smp 1
 *   -nodefaults -nographic -no-reboot
 *   -kernel /…/vmlinuz -initrd /…/initramfs.cpio.gz
 *   -append "console=ttyS0 vccp.name=g1 … quiet panic=-1"
 *   -serial file:/…/g1.serial.log
 *   -qmp unix:/…/g1.qmp,server=on,wait=off
 *   -netdev stream,id=n0,server=on,addr.type=unix,addr.path=/…/g1.sock
 *   -device virtio-net-pci,netdev=n0,mac=52:54:00:00:00:01,romfile=
 *   [extra args]
 *   [-S -incoming defer]                    (restore mode only, {@link #buildIncoming})
 * </pre>
 *
 * A NIC on a TAP reads {@code -netdev tap,id=n0,ifname=tap0,script=no,downscript=no}, one made by a
 * bridge helper {@code -netdev bridge,id=n0,br=sw0,helper=/…/vccp-bridge-helper}.
 *
 * <p>{@code romfile=} skips the iPXE option ROM (faster boot, and no ROM in the migration stream);
 * {@code panic=-1} with {@code -no-reboot} makes a guest whose /init dies exit QEMU at once.
 */
public final class QemuCommandLine {

  /** The emulator, looked up on the PATH. */
  public static final String QEMU_BINARY = "qemu-system-x86_64";

  static final String NO_AUTOSTART = "-S";
  static final String INCOMING_OPTION = "-incoming";
  static final String INCOMING_DEFER = "defer";

  private QemuCommandLine() {}

  /** The full argument list, binary first. */
  public static List<String> build(GuestSpec spec) {
    List<String> args = new ArrayList<>();
    args.add(QEMU_BINARY);
    add(args, "-name", spec.name());
    add(args, "-accel", spec.accel().qemuName());
    add(args, "-machine", spec.machine());
    add(args, "-m", Integer.toString(spec.memoryMb()));
    add(args, "-smp", Integer.toString(spec.cpus()));
    args.add("-nodefaults");
    args.add("-nographic");
    args.add("-no-reboot");
    add(args, "-kernel", spec.kernel());
    add(args, "-initrd", spec.initrd());
    add(args, "-append", kernelAppend(spec));
    add(args, "-serial", "file:" + spec.serialLog());
    add(args, "-qmp", "unix:" + escapeOption(spec.qmpSocket()) + ",server=on,wait=off");
    for (NicSpec nic : spec.nics()) {
      add(args, "-netdev", nic.netdevArgument());
      add(args, "-device", nic.deviceArgument());
    }
    args.addAll(spec.extraArgs());
    return List.copyOf(args);
  }

  /**
   * {@link #build} plus {@code -S -incoming defer}: the same machine, waiting for {@code
   * migrate-incoming} instead of booting, which is how a checkpoint is restored. {@code -S} changes
   * no device: it only keeps the loaded guest {@code paused} until {@code cont}, even when the
   * image was taken from a running guest (a {@code background-snapshot} image would otherwise start
   * running on its own, before the switch has replayed its channel state).
   */
  public static List<String> buildIncoming(GuestSpec spec) {
    List<String> args = new ArrayList<>(build(spec));
    args.add(NO_AUTOSTART);
    args.add(INCOMING_OPTION);
    args.add(INCOMING_DEFER);
    return List.copyOf(args);
  }

  /**
   * {@code console=ttyS0 <append> quiet no_timer_check panic=-1}: {@code no_timer_check} because a
   * TCG guest on a loaded host can fail the IO-APIC timer check at boot and panic.
   */
  public static String kernelAppend(GuestSpec spec) {
    return spec.append().isEmpty()
        ? "console=ttyS0 quiet no_timer_check panic=-1"
        : "console=ttyS0 " + spec.append() + " quiet no_timer_check panic=-1";
  }

  /** True when {@value #QEMU_BINARY} is an executable on the PATH. */
  public static boolean qemuAvailable() {
    String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
    for (String dir : path.split(":")) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, QEMU_BINARY))) {
        return true;
      }
    }
    return false;
  }

  /** QEMU's option syntax separates with commas; a literal comma is written twice. */
  static String escapeOption(String value) {
    return value.replace(",", ",,");
  }

  private static void add(List<String> args, String option, String value) {
    args.add(option);
    args.add(value);
  }
}
