package org.vccp.qemu.tap;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.vccp.vnet.control.ControlClient;
import org.vccp.vnet.control.SwitchSockets;

/**
 * The Java side of {@code scripts/vccp-ifup}, {@code vccp-ifdown} and {@code vccp-bridge-helper}:
 * the drop-in replacements for attaching QEMU taps to a Linux bridge. A separate small entry point
 * (no picocli, no switch started) so QEMU, which waits for these, waits as little as possible.
 *
 * <pre>
 *  ifup IFNAME          tap up, no IPv6 on it, then add-port IFNAME,pcap=IFNAME (with ,offload
 *                       when the tap has a vnet header)
 *  ifdown IFNAME        del-port IFNAME (a port already gone is fine)
 *  bridge-helper [--use-vnet] --br=NAME --fd=N
 *                       QEMU's helper protocol: check NAME against the ACL, create a TAP,
 *                       attach it to switch NAME, send its fd over socket N, exit 0
 * </pre>
 *
 * Environment: {@code VCCP_SWITCH} (switch name for ifup/ifdown, default {@code switch}) or {@code
 * VCCP_CONTROL} (a control socket path); {@code VCCP_RUNTIME_DIR} (where NAME.sock lives); {@code
 * VCCP_PORT_OPTIONS} (appended to the port spec, e.g. {@code lossless,vlan=10}); {@code
 * VCCP_BRIDGE_CONF} (ACL file, default /etc/vccp/bridge.conf); {@code VCCP_TAP_NAME} (TAP name or
 * pattern, default {@code vccp%d}); {@code VCCP_BRIDGE_VNET_HDR=off} (ignore --use-vnet: a TAP
 * without vnet header, so the guest gets no offloads, on a libpcap port).
 *
 * <p>A TAP with a vnet header carries the guest's offloads (64 KiB TSO frames, unfinished
 * checksums), so it is attached as an offload port ({@code pcap=TAP,offload}): a packet socket with
 * virtio-net headers passes them on, and the switch cuts them for ports that take none.
 */
public final class TapTool {
  private final Map<String, String> env;

  TapTool(Map<String, String> env) {
    this.env = env;
  }

  public static void main(String[] args) {
    String tool = args.length > 0 ? args[0] : "";
    try {
      int code = new TapTool(System.getenv()).run(args);
      System.exit(code);
    } catch (TapException | IllegalArgumentException e) {
      System.err.println("vccp-" + tool + ": " + e.getMessage());
      System.exit(1);
    }
  }

  int run(String[] args) {
    if (args.length == 0) {
      throw new IllegalArgumentException(
          "usage: TapTool ifup IFNAME | ifdown IFNAME | bridge-helper [--use-vnet] --br=NAME --fd=N");
    }
    switch (args[0]) {
      case "ifup":
        ifup(requireIf(args));
        return 0;
      case "ifdown":
        ifdown(requireIf(args));
        return 0;
      case "bridge-helper":
        bridgeHelper(args);
        return 0;
      default:
        throw new IllegalArgumentException("unknown tool '" + args[0] + "'");
    }
  }

  private static String requireIf(String[] args) {
    if (args.length < 2 || args[1].isBlank()) {
      throw new IllegalArgumentException(
          args[0] + " needs the interface name (QEMU passes it as the first argument)");
    }
    return args[1];
  }

  private boolean off(String key) {
    String v = env.getOrDefault(key, "").toLowerCase(Locale.ROOT);
    return v.equals("0") || v.equals("off") || v.equals("no") || v.equals("false");
  }

  /** The control socket: VCCP_CONTROL, else the socket of switch VCCP_SWITCH (or the default). */
  Path switchSocket() {
    String path = env.get("VCCP_CONTROL");
    if (path != null && !path.isBlank()) {
      return Path.of(path);
    }
    return SwitchSockets.controlSocket(env.getOrDefault("VCCP_SWITCH", SwitchSockets.DEFAULT_NAME));
  }

  private void ifup(String dev) {
    linkUp(dev);
    attach(switchSocket(), dev, hasVnetHeader(dev));
  }

  private void ifdown(String dev) {
    Path socket = switchSocket();
    JsonNode reply = request(socket, "{\"cmd\":\"del-port\",\"name\":" + quote(dev) + "}");
    if (!reply.path("ok").asBoolean() && !reply.path("error").asText().contains("no port named")) {
      throw new TapException(
          "switch at " + socket + " refused to remove port " + dev + ": " + reply.path("error"));
    }
  }

  private void bridgeHelper(String[] args) {
    boolean useVnet = false;
    String br = null;
    Integer fd = null;
    for (int i = 1; i < args.length; i++) {
      String a = args[i];
      if (a.equals("--use-vnet")) {
        useVnet = true;
      } else if (a.startsWith("--br=")) {
        br = a.substring(5);
      } else if (a.startsWith("--fd=")) {
        try {
          fd = Integer.parseInt(a.substring(5));
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("--fd='" + a.substring(5) + "' is not a number");
        }
      } else {
        throw new IllegalArgumentException(
            "unknown argument '" + a + "'; usage: [--use-vnet] --br=NAME --fd=N");
      }
    }
    if (br == null || fd == null) {
      throw new IllegalArgumentException("usage: [--use-vnet] --br=NAME --fd=N (QEMU passes them)");
    }
    String confEnv = env.get("VCCP_BRIDGE_CONF");
    Path conf = confEnv != null && !confEnv.isBlank() ? Path.of(confEnv) : BridgeAcl.DEFAULT_FILE;
    if (!BridgeAcl.read(conf).allows(br)) {
      throw new TapException(
          "access to switch '" + br + "' denied by the ACL " + conf + " (add 'allow " + br + "')");
    }
    Path socket = SwitchSockets.controlSocket(br);
    if (!Files.exists(socket)) {
      throw new TapException(
          "no switch named '"
              + br
              + "': no control socket "
              + socket
              + "; start one with `vccp switch --name "
              + br
              + "` (same VCCP_RUNTIME_DIR)");
    }
    boolean vnet = useVnet && !off("VCCP_BRIDGE_VNET_HDR");
    try (TapDevice tap = TapDevice.create(env.getOrDefault("VCCP_TAP_NAME", "vccp%d"), vnet)) {
      linkUp(tap.name());
      attach(socket, tap.name(), vnet);
      try {
        FdPassing.send(fd, tap.fd());
      } catch (TapException e) {
        request(socket, "{\"cmd\":\"del-port\",\"name\":" + quote(tap.name()) + "}");
        throw e;
      }
    }
  }

  private static boolean hasVnetHeader(String dev) {
    try {
      String flags = Files.readString(Path.of("/sys/class/net", dev, "tun_flags")).trim();
      return (Integer.decode(flags) & TapDevice.IFF_VNET_HDR) != 0;
    } catch (IOException | NumberFormatException e) {
      return false; // not a tun/tap device (or too old a kernel to say)
    }
  }

  /** Brings the interface up with no IPv6 on it: it is a switch port, not a host address. */
  private static void linkUp(String dev) {
    try {
      Files.writeString(Path.of("/proc/sys/net/ipv6/conf", dev, "disable_ipv6"), "1");
    } catch (IOException e) {
      // IPv6 off host-wide, or no such interface (ip below says so)
    }
    try {
      Process p =
          new ProcessBuilder("ip", "link", "set", "dev", dev, "up")
              .redirectErrorStream(true)
              .start();
      String out = new String(p.getInputStream().readAllBytes()).trim();
      if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new TapException("cannot bring " + dev + " up: " + out);
      }
    } catch (IOException e) {
      throw new TapException("cannot run `ip link set " + dev + " up`: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new TapException("interrupted bringing " + dev + " up", e);
    }
  }

  /** Adds {@code dev} to the switch, with its offloads when it has a vnet header. */
  private void attach(Path socket, String dev, boolean offload) {
    String opts = env.getOrDefault("VCCP_PORT_OPTIONS", "").trim();
    String spec =
        dev + ",pcap=" + dev + (offload ? ",offload" : "") + (opts.isEmpty() ? "" : "," + opts);
    JsonNode reply = request(socket, "{\"cmd\":\"add-port\",\"spec\":" + quote(spec) + "}");
    if (!reply.path("ok").asBoolean()) {
      throw new TapException(
          "switch at " + socket + " refused port " + spec + ": " + reply.path("error").asText());
    }
  }

  private static JsonNode request(Path socket, String line) {
    try (ControlClient client = new ControlClient(socket)) {
      return client.json().readTree(client.sendLine(line));
    } catch (IOException e) {
      throw new TapException(e.getMessage(), e);
    }
  }

  private static String quote(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }
}
