package org.vccp.cli.cluster;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.vccp.qemu.sim.SimWorkloadKind;

/**
 * A cluster file ({@code vccp cluster up cluster.yaml}): one switch and the guests on it.
 *
 * <pre>
 * name: demo            # switch name; its control socket is RUNTIME/demo.sock
 * guest_kind: auto      # qemu | simulated | auto (QEMU when installed, else simulated)
 * store: checkpoints    # checkpoint store, relative to this file
 * record: recording     # optional: record the switch's traffic (pcapng) here
 * memory_mb: 128        # per guest unless a guest says otherwise
 * agent:                # optional: also serve this host's checkpoint agent over TCP
 *   listen: 127.0.0.1:7070
 *   token_file: agent.token   # the shared secret, relative to this file
 * guests:
 *   - {name: g1, ip: 10.0.0.1/24, peer: 10.0.0.2, workloads: [udp-seq-recv, udp-seq-send], rate: 200, count: 100000}
 *   - {name: g2, ip: 10.0.0.2/24, peer: 10.0.0.1, workloads: [udp-seq-recv, udp-seq-send], rate: 200, count: 100000}
 * </pre>
 *
 * <p>A guest may name its MAC ({@code mac: 52:54:00:12:34:56}); guests on different switches of one
 * cluster must not share one.
 *
 * <p>A simulated guest ({@code vccp sim-guest}) runs one workload: {@code sim_workload} if the
 * guest names one, else the one of {@code udp-seq-send}, {@code udp-seq-recv}, {@code echo} in its
 * {@code workloads} (none: {@code idle}; several: the guest must say which with {@code
 * sim_workload}). Workloads only real guests have ({@code http-serve}, {@code http-fetch-md5},
 * {@code ping}, {@code counter}) are left out for it.
 */
@JsonIgnoreProperties(ignoreUnknown = false)
public final class ClusterSpec {
  public String name = "vccp";

  @JsonProperty("guest_kind")
  public String guestKind = "auto";

  public String store = "checkpoints";
  public String record;

  @JsonProperty("memory_mb")
  public int memoryMb = 128;

  public List<Guest> guests = new ArrayList<>();

  public AgentListen agent;

  /**
   * Where this host's checkpoint agent listens for remote coordinators (docs/control-protocol.md,
   * "Agent protocol"), and the file holding the token they must present.
   */
  @JsonIgnoreProperties(ignoreUnknown = false)
  public static final class AgentListen {
    public String listen;

    @JsonProperty("token_file")
    public String tokenFile;

    /** The host of {@link #listen}. */
    public String host() {
      return listen.substring(0, listen.lastIndexOf(':'));
    }

    /** The port of {@link #listen}. */
    public int port() {
      return Integer.parseInt(listen.substring(listen.lastIndexOf(':') + 1));
    }
  }

  /** One guest: its address, peer and workloads (see qemu-tap-glue/README.md). */
  @JsonIgnoreProperties(ignoreUnknown = false)
  public static final class Guest {
    public String name;
    public String ip;
    public String peer;

    /**
     * The NIC's MAC; default {@code 52:54:00:00:00:NN} by the guest's place in the file. Give each
     * guest its own when a cluster spans several switches (several cluster files).
     */
    public String mac;

    public List<String> workloads = new ArrayList<>(List.of("idle"));
    public Integer count;
    public Integer rate;

    @JsonProperty("size_mb")
    public Integer sizeMb;

    @JsonProperty("memory_mb")
    public Integer memoryMb;

    public Integer flow;

    /** The one workload this guest runs when simulated; see {@link ClusterSpec#simWorkload}. */
    @JsonProperty("sim_workload")
    public String simWorkload;
  }

  /** {@code guest_kind} as read (possibly {@link GuestKind#AUTO}). */
  public GuestKind kind() {
    return GuestKind.parse(guestKind);
  }

  /**
   * The one workload guest {@code g} runs as a simulated guest (see the class comment).
   *
   * @throws IllegalArgumentException naming the guest when it cannot be decided
   */
  public static SimWorkloadKind simWorkload(Guest g) {
    if (g.simWorkload != null) {
      try {
        return SimWorkloadKind.fromCliName(g.simWorkload);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("guest " + g.name + ": sim_workload: " + e.getMessage());
      }
    }
    List<SimWorkloadKind> found = new ArrayList<>();
    for (String w : g.workloads) {
      for (SimWorkloadKind k : SimWorkloadKind.values()) {
        if (k != SimWorkloadKind.IDLE && k.cliName().equals(w)) {
          found.add(k);
        }
      }
    }
    if (found.size() > 1) {
      throw new IllegalArgumentException(
          "guest "
              + g.name
              + ": a simulated guest runs one workload, but workloads has "
              + found
              + "; say which with sim_workload: "
              + found.get(0));
    }
    return found.isEmpty() ? SimWorkloadKind.IDLE : found.get(0);
  }

  /** Reads and checks a cluster file; errors name the file and what is wrong. */
  public static ClusterSpec read(Path file) {
    ClusterSpec spec;
    try {
      spec = new ObjectMapper(new YAMLFactory()).readValue(file.toFile(), ClusterSpec.class);
    } catch (IOException e) {
      throw new IllegalArgumentException(
          file + ": not a valid cluster file: " + firstLine(e.getMessage()));
    }
    spec.validate(file);
    return spec;
  }

  void validate(Path file) {
    GuestKind kind;
    try {
      kind = kind();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file + ": " + e.getMessage());
    }
    if (guests.isEmpty()) {
      throw new IllegalArgumentException(file + ": the cluster has no guests");
    }
    List<String> names = new ArrayList<>();
    for (Guest g : guests) {
      if (g.name == null || !g.name.matches("[a-z][a-z0-9-]{0,15}")) {
        throw new IllegalArgumentException(
            file + ": guest name '" + g.name + "' must be 1-16 lowercase letters, digits or '-'");
      }
      if (names.contains(g.name)) {
        throw new IllegalArgumentException(file + ": guest name '" + g.name + "' is used twice");
      }
      names.add(g.name);
      if (g.ip == null || !g.ip.matches("\\d+\\.\\d+\\.\\d+\\.\\d+/\\d+")) {
        throw new IllegalArgumentException(
            file + ": guest " + g.name + " needs ip: A.B.C.D/PREFIX");
      }
      if (kind == GuestKind.SIMULATED || g.simWorkload != null) {
        try {
          simWorkload(g);
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(file + ": " + e.getMessage());
        }
      }
    }
    if (agent != null) {
      if (agent.listen == null || !agent.listen.matches("[^\\s:]+:\\d{1,5}")) {
        throw new IllegalArgumentException(
            file + ": agent.listen '" + agent.listen + "' must be HOST:PORT, e.g. 127.0.0.1:7070");
      }
      if (agent.port() > 65535) {
        throw new IllegalArgumentException(
            file + ": agent.listen port " + agent.port() + " is above 65535");
      }
      if (agent.tokenFile == null || agent.tokenFile.isBlank()) {
        throw new IllegalArgumentException(
            file
                + ": agent.token_file is required: a file holding the secret every coordinator"
                + " must present");
      }
    }
  }

  private static String firstLine(String s) {
    return s == null ? "" : s.lines().findFirst().orElse("");
  }

  /** The MAC of the {@code index}-th guest (0-based): its own, else numbered by its place. */
  public static String mac(Guest g, int index) {
    if (g.mac == null) {
      return org.vccp.qemu.guest.NicSpec.localMac(index + 1);
    }
    org.vccp.vnet.frame.MacAddress.parse(g.mac);
    return g.mac;
  }
}
