package org.vccp.vnet.port;

import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * What a port is, as given on the command line ({@code NAME,listen=unix:/p,lossless,vlan=10}), in a
 * config file, or over the control socket. Validated on construction: every error names the port
 * and the setting.
 *
 * <ul>
 *   <li>{@code listen=ADDR}: stream port; the switch listens, the guest connects ({@code
 *       server=off} in QEMU).
 *   <li>{@code connect=ADDR}: stream port; the switch dials a listening guest ({@code server=on})
 *       and redials it whenever the connection drops.
 *   <li>{@code dgram=ADDR,remote=ADDR}: datagram port ({@code -netdev dgram}); the switch binds
 *       {@code dgram} and sends to {@code remote}.
 *   <li>{@code pcap=IFNAME}: an existing interface (tap, veth, physical uplink) captured and
 *       injected through libpcap; the interface needs offloads off (see README).
 *   <li>{@code offload} (with {@code pcap=}): attach the interface through a packet socket with
 *       virtio-net headers instead, so that its offloads stay on: super-frames of up to 64 KiB pass
 *       whole between such ports and are cut into frames for every other port.
 *   <li>{@code lossless}: push back on senders instead of tail-dropping when the queue is full.
 *   <li>{@code vlan=N} (access, default 1) or {@code trunk=10:20[,native=1]}.
 *   <li>{@code queue=BYTES}: egress queue size (default from the switch settings).
 * </ul>
 */
public record PortSpec(
    String name,
    Mode mode,
    PortAddress address,
    PortAddress remote,
    boolean lossless,
    PortVlan vlan,
    int egressQueueBytes,
    String device,
    boolean offload) {

  /** How the port's socket is set up. */
  public enum Mode {
    LISTEN,
    CONNECT,
    DGRAM,
    PCAP
  }

  /** Linux interface names: at most 15 bytes (IFNAMSIZ - 1), no '/', ',' or whitespace. */
  private static final java.util.regex.Pattern DEVICE =
      java.util.regex.Pattern.compile("[A-Za-z0-9_.:@+-]{1,15}");

  private static final Set<String> KEYS =
      Set.of(
          "name",
          "listen",
          "connect",
          "dgram",
          "remote",
          "pcap",
          "lossless",
          "vlan",
          "trunk",
          "native",
          "queue",
          "offload");

  public PortSpec {
    if (name == null || !name.matches("[A-Za-z0-9_.-]{1,64}")) {
      throw new IllegalArgumentException(
          "port name '" + name + "' is invalid: use 1-64 letters, digits, '.', '_' or '-'");
    }
    if (mode == Mode.PCAP) {
      if (device == null || !DEVICE.matcher(device).matches()) {
        throw new IllegalArgumentException(
            "port "
                + name
                + ": pcap='"
                + device
                + "' is not an interface name (1-15 letters, digits, '.', '_', '-', ':', '@', '+')");
      }
      if (address != null || remote != null) {
        throw new IllegalArgumentException(
            "port " + name + ": pcap= takes no socket address (listen=, connect=, remote=)");
      }
    } else if (device != null) {
      throw new IllegalArgumentException("port " + name + ": give pcap= or a socket, not both");
    } else if (address == null) {
      throw new IllegalArgumentException("port " + name + ": needs an address");
    }
    if (mode == Mode.DGRAM && remote == null) {
      throw new IllegalArgumentException("port " + name + ": dgram= needs remote=ADDR too");
    }
    if (mode != Mode.DGRAM && address != null && address.scheme() == PortAddress.Scheme.UDP) {
      throw new IllegalArgumentException(
          "port " + name + ": udp: addresses are for dgram= ports; stream ports use unix: or tcp:");
    }
    if (mode == Mode.DGRAM && address.scheme() == PortAddress.Scheme.TCP) {
      throw new IllegalArgumentException(
          "port " + name + ": dgram= takes udp:HOST:PORT or unix:/path, not tcp:");
    }
    if (remote != null && remote.scheme() != address.scheme()) {
      throw new IllegalArgumentException(
          "port "
              + name
              + ": dgram and remote must use the same scheme ("
              + address
              + ", "
              + remote
              + ")");
    }
    if (vlan == null) {
      vlan = PortVlan.access(PortVlan.DEFAULT_VLAN);
    }
    if (egressQueueBytes < 0) {
      throw new IllegalArgumentException("port " + name + ": queue must be positive");
    }
    if (offload && mode != Mode.PCAP) {
      throw new IllegalArgumentException(
          "port " + name + ": offload is for interfaces (pcap=IFNAME), not socket ports");
    }
  }

  /** A port without {@code offload}. */
  public PortSpec(
      String name,
      Mode mode,
      PortAddress address,
      PortAddress remote,
      boolean lossless,
      PortVlan vlan,
      int egressQueueBytes,
      String device) {
    this(name, mode, address, remote, lossless, vlan, egressQueueBytes, device, false);
  }

  /** A socket port (every mode but {@link Mode#PCAP}). */
  public PortSpec(
      String name,
      Mode mode,
      PortAddress address,
      PortAddress remote,
      boolean lossless,
      PortVlan vlan,
      int egressQueueBytes) {
    this(name, mode, address, remote, lossless, vlan, egressQueueBytes, null);
  }

  public static PortSpec listen(String name, PortAddress address) {
    return new PortSpec(name, Mode.LISTEN, address, null, false, null, 0);
  }

  public static PortSpec connect(String name, PortAddress address) {
    return new PortSpec(name, Mode.CONNECT, address, null, false, null, 0);
  }

  /** A port on an existing interface, captured and injected through libpcap. */
  public static PortSpec pcap(String name, String device) {
    return new PortSpec(name, Mode.PCAP, null, null, false, null, 0, device);
  }

  public PortSpec withLossless(boolean on) {
    return new PortSpec(name, mode, address, remote, on, vlan, egressQueueBytes, device, offload);
  }

  public PortSpec withVlan(PortVlan v) {
    return new PortSpec(
        name, mode, address, remote, lossless, v, egressQueueBytes, device, offload);
  }

  public PortSpec withEgressQueueBytes(int bytes) {
    return new PortSpec(name, mode, address, remote, lossless, vlan, bytes, device, offload);
  }

  /** The same interface port, attached with its offloads on (see {@code offload} above). */
  public PortSpec withOffload(boolean on) {
    return new PortSpec(name, mode, address, remote, lossless, vlan, egressQueueBytes, device, on);
  }

  /** Parses the flag form {@code NAME,key=value,...}. */
  public static PortSpec parse(String text) {
    String[] parts = text.split(",");
    Map<String, Object> map = new LinkedHashMap<>();
    map.put("name", parts[0]);
    for (int i = 1; i < parts.length; i++) {
      String p = parts[i].trim();
      int eq = p.indexOf('=');
      if (eq < 0) {
        map.put(p, "true");
      } else {
        map.put(p.substring(0, eq), p.substring(eq + 1));
      }
    }
    return fromMap(map);
  }

  /** Builds a spec from a config-file or control-socket map with the same keys as the flag. */
  public static PortSpec fromMap(Map<String, ?> map) {
    Object nameObj = map.get("name");
    String name = nameObj == null ? null : nameObj.toString();
    for (String key : map.keySet()) {
      if (!KEYS.contains(key)) {
        throw new IllegalArgumentException(
            "port "
                + name
                + ": unknown setting '"
                + key
                + "' (known: "
                + String.join(", ", KEYS.stream().sorted().toList())
                + ")");
      }
    }
    Mode mode = null;
    PortAddress address = null;
    String device = null;
    for (Mode m : Mode.values()) {
      Object v = map.get(m.name().toLowerCase(Locale.ROOT));
      if (v != null) {
        if (mode != null) {
          throw new IllegalArgumentException(
              "port " + name + ": give only one of listen=, connect=, dgram=, pcap=");
        }
        mode = m;
        if (m == Mode.PCAP) {
          device = v.toString();
        } else {
          address = parseAddress(name, v.toString());
        }
      }
    }
    if (mode == null) {
      throw new IllegalArgumentException(
          "port "
              + name
              + ": needs listen=ADDR, connect=ADDR, dgram=ADDR,remote=ADDR or pcap=IFNAME");
    }
    PortAddress remote =
        map.containsKey("remote") ? parseAddress(name, map.get("remote").toString()) : null;
    boolean lossless = bool(name, "lossless", map.get("lossless"));
    PortVlan vlan;
    if (map.containsKey("trunk")) {
      if (map.containsKey("vlan")) {
        throw new IllegalArgumentException("port " + name + ": give vlan= or trunk=, not both");
      }
      Object t = map.get("trunk");
      String list =
          t instanceof List<?> l
              ? String.join(",", l.stream().map(Object::toString).toList())
              : t.toString();
      BitSet set;
      int nativeVlan;
      try {
        set = PortVlan.parseVlanSet(list);
        nativeVlan = map.containsKey("native") ? Integer.parseInt(map.get("native").toString()) : 0;
        vlan = PortVlan.trunk(set, nativeVlan);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("port " + name + ": " + e.getMessage());
      }
    } else if (map.containsKey("vlan")) {
      try {
        vlan = PortVlan.access(Integer.parseInt(map.get("vlan").toString()));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("port " + name + ": vlan " + e.getMessage());
      }
    } else {
      vlan = null;
    }
    int queue =
        map.containsKey("queue")
            ? (int) Sizes.parseBytes(map.get("queue").toString(), "port " + name + " queue")
            : 0;
    return new PortSpec(
        name,
        mode,
        address,
        remote,
        lossless,
        vlan,
        queue,
        device,
        bool(name, "offload", map.get("offload")));
  }

  private static PortAddress parseAddress(String name, String text) {
    try {
      return PortAddress.parse(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("port " + name + ": " + e.getMessage());
    }
  }

  private static boolean bool(String name, String key, Object v) {
    if (v == null) {
      return false;
    }
    String s = v.toString().toLowerCase(Locale.ROOT);
    return switch (s) {
      case "true", "on", "yes", "1" -> true;
      case "false", "off", "no", "0" -> false;
      default ->
          throw new IllegalArgumentException(
              "port " + name + ": " + key + "='" + v + "' must be on or off");
    };
  }

  /** The flag form, which {@link #parse} reads back. */
  public String toFlag() {
    StringBuilder sb = new StringBuilder(name);
    sb.append(',')
        .append(mode.name().toLowerCase(Locale.ROOT))
        .append('=')
        .append(mode == Mode.PCAP ? device : address);
    if (remote != null) {
      sb.append(",remote=").append(remote);
    }
    if (lossless) {
      sb.append(",lossless");
    }
    if (offload) {
      sb.append(",offload");
    }
    if (vlan.isTrunk()) {
      String s = vlan.toString();
      sb.append(",trunk=").append(s.substring(6).split(" ")[0].replace(',', ':'));
      if (vlan.nativeVlan() != 0) {
        sb.append(",native=").append(vlan.nativeVlan());
      }
    } else if (vlan.accessVlan() != PortVlan.DEFAULT_VLAN) {
      sb.append(",vlan=").append(vlan.accessVlan());
    }
    if (egressQueueBytes > 0) {
      sb.append(",queue=").append(egressQueueBytes);
    }
    return sb.toString();
  }
}
