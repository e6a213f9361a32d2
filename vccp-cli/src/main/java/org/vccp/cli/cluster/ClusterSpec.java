package org.vccp.cli.cluster;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A cluster file ({@code vccp cluster up cluster.yaml}): one switch and the guests on it.
 *
 * <pre>
 * name: demo            # switch name; its control socket is RUNTIME/demo.sock
 * store: checkpoints    # checkpoint store, relative to this file
 * record: recording     # optional: record the switch's traffic (pcapng) here
 * memory_mb: 128        # per guest unless a guest says otherwise
 * guests:
 *   - {name: g1, ip: 10.0.0.1/24, peer: 10.0.0.2, workloads: [udp-seq-recv, udp-seq-send], rate: 200, count: 100000}
 *   - {name: g2, ip: 10.0.0.2/24, peer: 10.0.0.1, workloads: [udp-seq-recv, udp-seq-send], rate: 200, count: 100000}
 * </pre>
 */
@JsonIgnoreProperties(ignoreUnknown = false)
public final class ClusterSpec {
  public String name = "vccp";
  public String store = "checkpoints";
  public String record;

  @JsonProperty("memory_mb")
  public int memoryMb = 128;

  public List<Guest> guests = new ArrayList<>();

  /** One guest: its address, peer and workloads (see qemu-tap-glue/README.md). */
  @JsonIgnoreProperties(ignoreUnknown = false)
  public static final class Guest {
    public String name;
    public String ip;
    public String peer;
    public List<String> workloads = new ArrayList<>(List.of("idle"));
    public Integer count;
    public Integer rate;

    @JsonProperty("size_mb")
    public Integer sizeMb;

    @JsonProperty("memory_mb")
    public Integer memoryMb;

    public Integer flow;
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
    }
  }

  private static String firstLine(String s) {
    return s == null ? "" : s.lines().findFirst().orElse("");
  }
}
