package org.vccp.vnet.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.vccp.vnet.frame.MacAddress;
import org.vccp.vnet.port.PortSpec;
import org.vccp.vnet.port.Sizes;
import org.vccp.vnet.ring.WaitStrategyName;

/**
 * Reads a switch configuration file (YAML or JSON) into a {@link SwitchContext}. Every key has the
 * same name as its command-line flag:
 *
 * <pre>
 * aging-seconds: 300
 * egress-queue-bytes: 1MiB
 * control: /run/vccp/sw0.sock
 * metrics-port: 9100
 * ports:
 *   - {name: g1, listen: unix:/run/vccp/g1.sock}
 *   - {name: g2, connect: unix:/run/vccp/g2.sock, lossless: true}
 *   - {name: up, connect: tcp:127.0.0.1:5555, trunk: [10, 20], native: 1}
 * macs:
 *   - {mac: "52:54:00:00:00:01", port: g1, vlan: 1}
 * </pre>
 */
public final class SwitchConfigFile {
  private static final Set<String> KEYS =
      Set.of(
          "ring-slots",
          "inline-frame-bytes",
          "max-frame-bytes",
          "max-ports",
          "egress-queue-bytes",
          "aging-seconds",
          "mac-table-capacity",
          "io-threads",
          "redial-ms",
          "waiting-peer-ms",
          "wait-strategy",
          "forward-on-ingress",
          "nice",
          "control",
          "metrics-port",
          "name",
          "record",
          "record-rotate",
          "record-snaplen",
          "record-egress-snaplen",
          "record-keep",
          "ports",
          "macs");

  private SwitchConfigFile() {}

  private static boolean bool(JsonNode v, String key) {
    if (v.isBoolean()) {
      return v.asBoolean();
    }
    if (v.isTextual() && (v.asText().equals("true") || v.asText().equals("false"))) {
      return Boolean.parseBoolean(v.asText());
    }
    throw new IllegalArgumentException(key + " must be true or false, got " + v);
  }

  private static int integer(JsonNode v, String key) {
    if (!v.isInt()) {
      throw new IllegalArgumentException(key + " must be a whole number, got " + v);
    }
    return v.asInt();
  }

  /**
   * Applies the file's settings onto {@code ctx}.
   *
   * @throws IllegalArgumentException naming the file and the bad key or value
   */
  public static SwitchContext read(Path file, SwitchContext ctx) {
    JsonNode root;
    try {
      root = new ObjectMapper(new YAMLFactory()).readTree(Files.readString(file));
    } catch (IOException e) {
      throw new IllegalArgumentException(file + ": cannot read switch config: " + e.getMessage());
    }
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException(file + ": switch config must be a mapping of settings");
    }
    try {
      for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
        String key = it.next();
        if (!KEYS.contains(key)) {
          throw new IllegalArgumentException("unknown setting '" + key + "'");
        }
        JsonNode v = root.get(key);
        switch (key) {
          case "ring-slots" -> ctx.ringSlots = v.asInt();
          case "inline-frame-bytes" ->
              ctx.inlineFrameBytes = (int) Sizes.parseBytes(v.asText(), key);
          case "max-frame-bytes" -> ctx.maxFrameBytes = v.asInt();
          case "max-ports" -> ctx.maxPorts = v.asInt();
          case "egress-queue-bytes" ->
              ctx.egressQueueBytes = (int) Sizes.parseBytes(v.asText(), key);
          case "aging-seconds" -> ctx.agingSeconds = v.asLong();
          case "mac-table-capacity" -> ctx.macTableCapacity = v.asInt();
          case "io-threads" -> ctx.ioThreads = v.asInt();
          case "redial-ms" -> ctx.redialMs = v.asLong();
          case "waiting-peer-ms" -> ctx.waitingPeerMs = v.asLong();
          case "wait-strategy" ->
              ctx.waitStrategy =
                  WaitStrategyName.valueOf(v.asText().toUpperCase().replace('-', '_'));
          case "forward-on-ingress" -> ctx.forwardOnIngress = bool(v, key);
          case "nice" -> ctx.nice = integer(v, key);
          case "control" -> ctx.controlSocket = Path.of(v.asText());
          case "metrics-port" -> ctx.metricsPort = v.asInt();
          case "name" -> ctx.name = v.asText();
          case "record" -> ctx.recordDir = Path.of(v.asText());
          case "record-rotate" -> {
            long[] r = org.vccp.vnet.record.RecordingSettings.parseRotate(v.asText());
            ctx.recordRotateBytes = r[0];
            ctx.recordRotateNs = r[1];
          }
          case "record-snaplen" -> ctx.recordSnapLen = v.asInt();
          case "record-egress-snaplen" -> ctx.recordEgressSnapLen = v.asInt();
          case "record-keep" -> ctx.recordKeepFiles = v.asInt();
          case "ports" -> {
            for (JsonNode p : v) {
              Map<String, Object> m = new LinkedHashMap<>();
              p.fields()
                  .forEachRemaining(
                      e ->
                          m.put(
                              e.getKey(),
                              e.getValue().isArray()
                                  ? e.getValue().toString().replaceAll("[\\[\\]\"]", "")
                                  : e.getValue().asText()));
              ctx.ports.add(PortSpec.fromMap(m));
            }
          }
          case "macs" -> {
            for (JsonNode m : v) {
              ctx.staticMacs.add(
                  new SwitchContext.StaticMac(
                      MacAddress.parse(m.path("mac").asText()),
                      m.path("port").asText(),
                      m.path("vlan").asInt(1)));
            }
          }
          default -> throw new IllegalStateException(key);
        }
      }
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
    }
    return ctx;
  }
}
