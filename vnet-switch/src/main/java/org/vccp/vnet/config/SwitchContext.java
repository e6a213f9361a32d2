package org.vccp.vnet.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.vccp.vnet.port.PortSpec;
import org.vccp.vnet.ring.FrameRing;
import org.vccp.vnet.ring.WaitStrategyName;

/**
 * Every setting of a switch, with its default, validated in one place ({@link #validate()}) with
 * messages that name the setting and the constraint. Built from flags, a YAML file ({@link
 * SwitchConfigFile}), or code.
 */
public final class SwitchContext {
  public int ringSlots = 4096;
  public int inlineFrameBytes = 2048;
  public int maxFrameBytes = FrameRing.MAX_FRAME_BYTES;
  public int maxPorts = 256;
  public int egressQueueBytes = 1 << 20;
  public long agingSeconds = 300;
  public int macTableCapacity = 65_536;

  /** Two I/O threads let one port's ingress and another's egress run at once (measured). */
  public int ioThreads = Math.min(2, Runtime.getRuntime().availableProcessors());

  public long redialMs = 200;

  /**
   * How long a stream peer that connects while the port still has one waits for that one to leave
   * before it is closed (a restored guest racing its predecessor's end of stream needs
   * milliseconds; a second guest on the same socket by mistake must not wait forever).
   */
  public long waitingPeerMs = 30_000;

  public WaitStrategyName waitStrategy = WaitStrategyName.PHASED;

  /**
   * Whether an ingress thread that finds the ring idle forwards its frames itself instead of waking
   * the forwarder thread (run to completion, as the kernel's bridge and QEMU's hub do).
   */
  public boolean forwardOnIngress = true;

  /**
   * Scheduling priority (nice value) of the switch's threads, -20..19; null leaves it alone. Below
   * 0 (ovs-ctl starts ovs-vswitchd at -10) the switch keeps up with the guests it serves instead of
   * sharing the CPU with them equally; that needs root or CAP_SYS_NICE.
   */
  public Integer nice;

  public Path controlSocket;

  /** Memory per port for held frames before they spill to {@link #holdSpillDir}. */
  public long holdMemoryBytes = 64L << 20;

  /** Where hold queues spill; null = the JVM's temporary directory. */
  public Path holdSpillDir;

  /** The switch's name: names its recording files (and its control socket by convention). */
  public String name = org.vccp.vnet.control.SwitchSockets.DEFAULT_NAME;

  /** Record into this directory from the start; null = not recording (ctl record start can). */
  public Path recordDir;

  /** Rotation of recording files: bytes, or nanoseconds of age; 0 = never. */
  public long recordRotateBytes;

  public long recordRotateNs;
  public int recordSnapLen = org.vccp.vnet.record.RecordingSettings.DEFAULT_SNAP_LEN;
  public int recordEgressSnapLen = org.vccp.vnet.record.RecordingSettings.DEFAULT_EGRESS_SNAP_LEN;

  /** At most this many files of a recording are kept, the oldest deleted; 0 = all. */
  public int recordKeepFiles;

  public int metricsPort;
  public final List<PortSpec> ports = new ArrayList<>();
  public final List<StaticMac> staticMacs = new ArrayList<>();

  /** A static MAC entry from the config file: never learned, never aged. */
  public record StaticMac(long mac, String port, int vlan) {}

  /**
   * Checks every constraint.
   *
   * @throws IllegalArgumentException naming the first setting that is wrong and why
   */
  public SwitchContext validate() {
    require(
        Integer.bitCount(ringSlots) == 1 && ringSlots >= 64,
        "ring-slots must be a power of two >= 64, got " + ringSlots);
    require(
        maxFrameBytes >= 64 && maxFrameBytes <= FrameRing.MAX_FRAME_BYTES,
        "max-frame-bytes must be 64..65535, got " + maxFrameBytes);
    require(
        inlineFrameBytes >= 64 && inlineFrameBytes <= maxFrameBytes,
        "inline-frame-bytes must be 64..max-frame-bytes, got " + inlineFrameBytes);
    require(maxPorts >= 2 && maxPorts <= 4096, "max-ports must be 2..4096, got " + maxPorts);
    require(
        egressQueueBytes >= 128 * 1024,
        "egress-queue-bytes must be at least 128KiB (two maximum frames), got " + egressQueueBytes);
    require(agingSeconds >= 1, "aging-seconds must be at least 1, got " + agingSeconds);
    require(
        macTableCapacity >= 16, "mac-table-capacity must be at least 16, got " + macTableCapacity);
    require(ioThreads >= 1 && ioThreads <= 64, "io-threads must be 1..64, got " + ioThreads);
    require(redialMs >= 10, "redial-ms must be at least 10, got " + redialMs);
    require(nice == null || (nice >= -20 && nice <= 19), "nice must be -20..19, got " + nice);
    require(waitingPeerMs >= 10, "waiting-peer-ms must be at least 10, got " + waitingPeerMs);
    require(
        metricsPort >= 0 && metricsPort <= 65535,
        "metrics-port must be 0..65535, got " + metricsPort);
    require(
        name.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}"),
        "name must be 1-64 letters, digits, '.', '_' or '-', got '" + name + "'");
    if (recordDir != null) {
      recordingSettings();
    }
    require(
        ports.size() <= maxPorts,
        "more ports (" + ports.size() + ") than max-ports (" + maxPorts + ")");
    List<String> names = new ArrayList<>();
    for (PortSpec p : ports) {
      require(!names.contains(p.name()), "port name '" + p.name() + "' is used twice");
      names.add(p.name());
    }
    for (StaticMac m : staticMacs) {
      require(
          names.contains(m.port()),
          "static MAC entry names port '" + m.port() + "', which is not configured");
    }
    return this;
  }

  /** The recording settings of {@code record*}; {@link #recordDir} must be set. */
  public org.vccp.vnet.record.RecordingSettings recordingSettings() {
    return new org.vccp.vnet.record.RecordingSettings(
        recordDir,
        name,
        recordRotateBytes,
        recordRotateNs,
        recordSnapLen,
        recordEgressSnapLen,
        recordKeepFiles);
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }

  /** The effective settings, one per line, for {@code --verbose}. */
  public String describe() {
    StringBuilder sb = new StringBuilder();
    sb.append("ring-slots=").append(ringSlots).append('\n');
    sb.append("inline-frame-bytes=").append(inlineFrameBytes).append('\n');
    sb.append("max-frame-bytes=").append(maxFrameBytes).append('\n');
    sb.append("max-ports=").append(maxPorts).append('\n');
    sb.append("egress-queue-bytes=").append(egressQueueBytes).append('\n');
    sb.append("aging-seconds=").append(agingSeconds).append('\n');
    sb.append("mac-table-capacity=").append(macTableCapacity).append('\n');
    sb.append("io-threads=").append(ioThreads).append('\n');
    sb.append("redial-ms=").append(redialMs).append('\n');
    sb.append("waiting-peer-ms=").append(waitingPeerMs).append('\n');
    sb.append("wait-strategy=").append(waitStrategy.name().toLowerCase()).append('\n');
    sb.append("forward-on-ingress=").append(forwardOnIngress).append('\n');
    sb.append("nice=").append(nice == null ? "(unchanged)" : nice).append('\n');
    sb.append("control=").append(controlSocket == null ? "(none)" : controlSocket).append('\n');
    sb.append("name=").append(name).append('\n');
    sb.append("record=").append(recordDir == null ? "(off)" : recordDir).append('\n');
    sb.append("metrics-port=").append(metricsPort == 0 ? "(off)" : metricsPort).append('\n');
    for (PortSpec p : ports) {
      sb.append("port ").append(p.toFlag()).append('\n');
    }
    return sb.toString();
  }
}
