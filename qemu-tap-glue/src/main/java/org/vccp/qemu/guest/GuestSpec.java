package org.vccp.qemu.guest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import org.vccp.qemu.image.GuestImage;
import org.vccp.qemu.image.GuestParams;

/**
 * Everything that decides a guest's QEMU command line, and nothing else: {@link
 * QemuCommandLine#build} turns equal specs into equal argument lists, which is what restoring a
 * checkpoint needs. Paths are kept as absolute strings so the record serialises both with Java
 * serialisation and with Jackson, without annotations.
 *
 * @param name guest name ({@code -name}), also used in messages and log file names
 * @param memoryMb guest RAM ({@code -m})
 * @param cpus virtual CPUs ({@code -smp})
 * @param machine {@code q35} or {@code pc}
 * @param accel {@code -accel}
 * @param kernel {@code -kernel} file
 * @param initrd {@code -initrd} file
 * @param append kernel parameters between {@code console=ttyS0} and {@code quiet panic=-1}, usually
 *     {@link GuestParams#toKernelArgs()}
 * @param nics virtio-net NICs in PCI order
 * @param serialLog file the guest's ttyS0 is written to ({@code -serial file:})
 * @param qmpSocket Unix socket QEMU serves QMP on ({@code -qmp unix:PATH,server=on,wait=off});
 *     defaults to {@code <name>.qmp} beside the serial log
 * @param extraArgs appended verbatim at the end
 */
public record GuestSpec(
    String name,
    int memoryMb,
    int cpus,
    String machine,
    Accel accel,
    String kernel,
    String initrd,
    String append,
    List<NicSpec> nics,
    String serialLog,
    String qmpSocket,
    List<String> extraArgs)
    implements Serializable {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,31}");

  public GuestSpec {
    Objects.requireNonNull(name, "name");
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "guest name '" + name + "' must be 1-32 letters, digits, '.', '_' or '-'");
    }
    String guest = "guest " + name + ": ";
    if (memoryMb < 32 || memoryMb > 1 << 20) {
      throw new IllegalArgumentException(guest + "memoryMb " + memoryMb + " is not 32..1048576");
    }
    if (cpus < 1 || cpus > 256) {
      throw new IllegalArgumentException(guest + "cpus " + cpus + " is not 1..256");
    }
    if (!"q35".equals(machine) && !"pc".equals(machine)) {
      throw new IllegalArgumentException(guest + "machine '" + machine + "' is neither q35 nor pc");
    }
    Objects.requireNonNull(accel, guest + "accel");
    requireAbsolute(guest, "kernel", kernel);
    requireAbsolute(guest, "initrd", initrd);
    requireAbsolute(guest, "serialLog", serialLog);
    requireAbsolute(guest, "qmpSocket", qmpSocket);
    int qmpBytes = qmpSocket.getBytes(StandardCharsets.UTF_8).length;
    if (qmpBytes > StreamSocket.MAX_UNIX_PATH_BYTES) {
      throw new IllegalArgumentException(
          guest
              + "QMP socket path "
              + qmpSocket
              + " is "
              + qmpBytes
              + " bytes, over the limit of "
              + StreamSocket.MAX_UNIX_PATH_BYTES
              + "; use a shorter run directory");
    }
    append = append == null ? "" : append.strip();
    if (append.contains("\n")) {
      throw new IllegalArgumentException(guest + "kernel parameters must be one line");
    }
    nics = List.copyOf(nics);
    extraArgs = List.copyOf(extraArgs);
    Set<String> ids = new HashSet<>();
    Set<String> macs = new HashSet<>();
    for (NicSpec nic : nics) {
      if (!ids.add(nic.id())) {
        throw new IllegalArgumentException(guest + "two NICs have the id " + nic.id());
      }
      if (!macs.add(nic.mac())) {
        throw new IllegalArgumentException(guest + "two NICs have the MAC " + nic.mac());
      }
    }
  }

  /** A spec named {@code name}: 128 MB, 1 CPU, q35, {@link Accel#detect()}, no NICs. */
  public static Builder builder(String name) {
    return new Builder(name);
  }

  /** The NIC with netdev id {@code id}. */
  public NicSpec nic(String id) {
    return nics.stream()
        .filter(nic -> nic.id().equals(id))
        .findFirst()
        .orElseThrow(
            () -> new IllegalArgumentException("guest " + name + " has no NIC with id " + id));
  }

  /**
   * This spec as one JSON object (what checkpoint manifests store); {@link #fromJson} reads it back
   * into an equal spec. NIC attachments carry a {@code type} of {@code stream}, {@code tap} or
   * {@code bridge}. Any Jackson {@code ObjectMapper} gives the same result.
   */
  public String toJson() {
    try {
      return JSON.writeValueAsString(this);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("guest " + name + ": cannot write the spec as JSON: " + e, e);
    }
  }

  /**
   * The spec in {@code json}, validated like any other.
   *
   * @throws IllegalArgumentException if the JSON is malformed, incomplete or describes a spec QEMU
   *     would misread
   */
  public static GuestSpec fromJson(String json) {
    try {
      return JSON.readValue(json, GuestSpec.class);
    } catch (JsonProcessingException e) {
      Throwable cause = e.getCause() instanceof IllegalArgumentException ? e.getCause() : e;
      throw new IllegalArgumentException(
          "not a valid guest spec: " + cause.getMessage().lines().findFirst().orElse(""), e);
    }
  }

  /** A builder holding every value of this spec, to derive a changed copy. */
  public Builder toBuilder() {
    Builder builder =
        new Builder(name)
            .memoryMb(memoryMb)
            .cpus(cpus)
            .machine(machine)
            .accel(accel)
            .kernel(Path.of(kernel))
            .initrd(Path.of(initrd))
            .append(append)
            .serialLog(Path.of(serialLog))
            .qmpSocket(Path.of(qmpSocket))
            .extraArgs(extraArgs.toArray(String[]::new));
    nics.forEach(builder::nic);
    return builder;
  }

  public Path serialLogPath() {
    return Path.of(serialLog);
  }

  public Path qmpSocketPath() {
    return Path.of(qmpSocket);
  }

  private static void requireAbsolute(String guest, String what, String path) {
    if (path == null || path.isBlank() || !Path.of(path).isAbsolute()) {
      throw new IllegalArgumentException(guest + what + " must be an absolute path, got " + path);
    }
  }

  /** Collects a spec; kernel, initrd and serial log are required. */
  public static final class Builder {
    private final String name;
    private int memoryMb = 128;
    private int cpus = 1;
    private String machine = "q35";
    private Accel accel;
    private String kernel;
    private String initrd;
    private String append = "";
    private final List<NicSpec> nics = new ArrayList<>();
    private String serialLog;
    private String qmpSocket;
    private final List<String> extraArgs = new ArrayList<>();

    private Builder(String name) {
      this.name = name;
    }

    public Builder memoryMb(int memoryMb) {
      this.memoryMb = memoryMb;
      return this;
    }

    public Builder cpus(int cpus) {
      this.cpus = cpus;
      return this;
    }

    public Builder machine(String machine) {
      this.machine = machine;
      return this;
    }

    public Builder accel(Accel accel) {
      this.accel = accel;
      return this;
    }

    /** Kernel and initrd of a built image. */
    public Builder image(GuestImage image) {
      this.kernel = absolute(image.kernel());
      this.initrd = absolute(image.initrd());
      return this;
    }

    public Builder kernel(Path kernel) {
      this.kernel = absolute(kernel);
      return this;
    }

    public Builder initrd(Path initrd) {
      this.initrd = absolute(initrd);
      return this;
    }

    /** The guest's {@code vccp.*} parameters; replaces any earlier {@link #append}. */
    public Builder params(GuestParams params) {
      this.append = params.toKernelArgs();
      return this;
    }

    /** Raw kernel parameters (between {@code console=ttyS0} and {@code quiet panic=-1}). */
    public Builder append(String append) {
      this.append = append;
      return this;
    }

    public Builder nic(NicSpec nic) {
      this.nics.add(nic);
      return this;
    }

    public Builder serialLog(Path serialLog) {
      this.serialLog = absolute(serialLog);
      return this;
    }

    /** The QMP socket; by default {@code <name>.qmp} beside the serial log. */
    public Builder qmpSocket(Path qmpSocket) {
      this.qmpSocket = absolute(qmpSocket);
      return this;
    }

    /**
     * Puts the guest's files in {@code dir}: serial log {@code <name>.serial.log} and QMP socket
     * {@code <name>.qmp} (QEMU's own log goes beside the serial log as {@code <name>.qemu.log}).
     */
    public Builder runDir(Path dir) {
      serialLog(dir.resolve(name + ".serial.log"));
      return qmpSocket(dir.resolve(name + ".qmp"));
    }

    public Builder extraArgs(String... args) {
      this.extraArgs.addAll(List.of(args));
      return this;
    }

    public GuestSpec build() {
      return new GuestSpec(
          name,
          memoryMb,
          cpus,
          machine,
          accel != null ? accel : Accel.detect(),
          kernel,
          initrd,
          append,
          nics,
          serialLog,
          qmpSocket != null ? qmpSocket : defaultQmpSocket(),
          extraArgs);
    }

    private String defaultQmpSocket() {
      return serialLog == null ? null : Path.of(serialLog).resolveSibling(name + ".qmp").toString();
    }

    private static String absolute(Path path) {
      return path.toAbsolutePath().normalize().toString();
    }
  }
}
