package org.vccp.vnet.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Network namespaces and veth pairs a test creates for itself, all named {@code vt<5 hex>...} so
 * they never collide with anyone else's; {@link #close()} deletes exactly what this object made.
 */
public final class TestNet implements AutoCloseable {
  /** A finished command: exit code and merged output. */
  public record Result(int exit, String output) {
    public Result orThrow(String what) {
      if (exit != 0) {
        throw new IllegalStateException(what + " failed (exit " + exit + "): " + output);
      }
      return this;
    }
  }

  private final String prefix =
      String.format("vt%05x", ThreadLocalRandom.current().nextInt(1 << 20));
  private final List<String> namespaces = new ArrayList<>();
  private final List<String> links = new ArrayList<>();

  /** Null when the tests can run here, else why not (for an assumption message). */
  public static String unusableReason() {
    if (!"root".equals(System.getProperty("user.name"))) {
      return "not root: veth/netns/pcap tests need root";
    }
    if (!Files.isExecutable(Path.of("/usr/sbin/ip")) && !Files.isExecutable(Path.of("/sbin/ip"))) {
      return "iproute2 (ip) is not installed";
    }
    if (!Files.exists(Path.of("/usr/lib/x86_64-linux-gnu/libpcap.so.0.8"))) {
      return "libpcap0.8 is not installed";
    }
    return null;
  }

  public String prefix() {
    return prefix;
  }

  /** Creates namespace {@code prefix + suffix} with loopback up. */
  public String namespace(String suffix) {
    String ns = prefix + suffix;
    run("ip", "netns", "add", ns).orThrow("ip netns add " + ns);
    namespaces.add(ns);
    inNs(ns, "ip", "link", "set", "lo", "up").orThrow("lo up in " + ns);
    return ns;
  }

  /**
   * A veth pair: {@code prefix+hostSuffix} stays here (up, no IPv6, no address), {@code
   * prefix+nsSuffix} moves into {@code ns} with {@code cidr} and is brought up there.
   *
   * @return the host-side name
   */
  public String veth(String hostSuffix, String ns, String nsSuffix, String cidr) {
    String host = prefix + hostSuffix;
    String peer = prefix + nsSuffix;
    run("ip", "link", "add", host, "type", "veth", "peer", "name", peer)
        .orThrow("ip link add " + host);
    links.add(host);
    quietHost(host);
    run("ip", "link", "set", peer, "netns", ns).orThrow("move " + peer + " into " + ns);
    inNs(ns, "ip", "addr", "add", cidr, "dev", peer).orThrow("address " + peer);
    inNs(ns, "ip", "link", "set", peer, "up").orThrow("up " + peer);
    run("ip", "link", "set", host, "up").orThrow("up " + host);
    return host;
  }

  /**
   * Two hosts for a switch to join: namespaces {@code a} and {@code b}, each behind a veth pair
   * (host ends {@code ah}, {@code bh}: bare, for switch ports; namespace ends {@code an}, {@code
   * bn} with {@code cidrA}, {@code cidrB}) with the namespace ends' offloads off, as pcap ports
   * need.
   */
  public TwoHosts twoHosts(String cidrA, String cidrB) {
    String nsA = namespace("a");
    String nsB = namespace("b");
    String hostA = veth("ah", nsA, "an", cidrA);
    String hostB = veth("bh", nsB, "bn", cidrB);
    offloadsOff(nsA, prefix + "an").orThrow("offloads off in A");
    offloadsOff(nsB, prefix + "bn").orThrow("offloads off in B");
    return new TwoHosts(nsA, nsB, hostA, hostB, prefix + "an", prefix + "bn");
  }

  /** What {@link #twoHosts} made: namespaces, host-side veth ends, namespace-side veth ends. */
  public record TwoHosts(
      String nsA, String nsB, String hostA, String hostB, String devA, String devB) {}

  /** No IPv6 on a host-side interface: it is a switch port, not a host address. */
  public static void quietHost(String dev) {
    try {
      Files.writeString(Path.of("/proc/sys/net/ipv6/conf", dev, "disable_ipv6"), "1");
    } catch (IOException e) {
      // IPv6 disabled host-wide: nothing to quiet
    }
  }

  /** {@code ethtool -K dev <features> off} in {@code ns} (null: here). */
  public Result offloadsOff(String ns, String dev) {
    List<String> cmd = List.of("ethtool", "-K", dev, "tx", "off", "tso", "off", "gso", "off");
    return ns == null ? run(cmd.toArray(String[]::new)) : inNs(ns, cmd.toArray(String[]::new));
  }

  public Result inNs(String ns, String... cmd) {
    List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", ns));
    full.addAll(List.of(cmd));
    return run(full.toArray(String[]::new));
  }

  /** Starts a long-running command in {@code ns}; the caller stops it. */
  public Process startInNs(String ns, Path log, String... cmd) throws IOException {
    List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", ns));
    full.addAll(List.of(cmd));
    return new ProcessBuilder(full).redirectErrorStream(true).redirectOutput(log.toFile()).start();
  }

  public static Result run(String... cmd) {
    return run(Duration.ofSeconds(60), cmd);
  }

  public static Result run(Duration timeout, String... cmd) {
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      p.getOutputStream().close();
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        return new Result(-1, "timed out: " + String.join(" ", cmd));
      }
      return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    } catch (IOException e) {
      return new Result(-1, e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Result(-1, "interrupted");
    }
  }

  @Override
  public void close() {
    for (String l : links) {
      run("ip", "link", "del", l);
    }
    for (String ns : namespaces) {
      run("ip", "netns", "del", ns);
    }
    links.clear();
    namespaces.clear();
  }
}
