package org.vccp.checkpoint.verify;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.vccp.checkpoint.verify.capture.CaptureFormatException;
import org.vccp.checkpoint.verify.capture.CaptureReader;
import org.vccp.checkpoint.verify.capture.PcapngReader;

/**
 * A committed checkpoint as {@code vccp verify} needs it: epoch, the recording run it belongs to,
 * and the channel state of every port read from its {@code channel-<port>.pcapng} files.
 */
final class Checkpoint {
  final Path dir;
  final long epoch;

  /** The recording run id, or null when the switch was not recording. */
  final String run;

  /** Receiving port name to its channel-state frames, in file order. */
  final Map<String, List<Entry>> channels = new LinkedHashMap<>();

  /**
   * For a checkpoint of several switches ({@code switchStates} in the manifest): each switch's
   * ports at the cut. Null for one switch.
   */
  Map<String, java.util.Set<String>> portsBySwitch;

  /**
   * The channel state a recording of {@code switchName} should show: all of it for a one-switch
   * checkpoint, else only the ports that switch had (another switch's recording holds the rest).
   */
  Map<String, List<Entry>> channelsOn(String switchName) {
    if (portsBySwitch == null || switchName == null || !portsBySwitch.containsKey(switchName)) {
      return channels;
    }
    java.util.Set<String> mine = portsBySwitch.get(switchName);
    Map<String, List<Entry>> out = new LinkedHashMap<>();
    channels.forEach(
        (port, entries) -> {
          if (mine.contains(port)) {
            out.put(port, entries);
          }
        });
    return out;
  }

  /** One held frame in a channel file. */
  record Entry(String from, long packetId, FrameRef ref) {}

  private Checkpoint(Path dir, long epoch, String run) {
    this.dir = dir;
    this.epoch = epoch;
    this.run = run;
  }

  static Checkpoint load(Path dir) throws IOException {
    Path manifest = dir.resolve("MANIFEST.json");
    if (!Files.isRegularFile(manifest)) {
      throw new CaptureFormatException(
          manifest, 0, "not a committed checkpoint: MANIFEST.json is missing");
    }
    JsonNode root;
    try {
      root = new ObjectMapper().readTree(manifest.toFile());
    } catch (JsonProcessingException e) {
      long at = e.getLocation() == null ? 0 : Math.max(0, e.getLocation().getByteOffset());
      throw new CaptureFormatException(manifest, at, "invalid JSON: " + e.getOriginalMessage());
    }
    if (root == null || !root.path("epoch").canConvertToLong()) {
      throw new CaptureFormatException(manifest, 0, "manifest has no numeric \"epoch\"");
    }
    String format = root.path("format").asText("");
    if (!format.isEmpty() && !format.startsWith("vccp-checkpoint/")) {
      throw new CaptureFormatException(manifest, 0, "unknown manifest format \"" + format + "\"");
    }
    JsonNode rec = root.path("recording");
    Checkpoint c =
        new Checkpoint(
            dir, root.path("epoch").asLong(), rec.isObject() ? rec.path("run").asText(null) : null);
    for (JsonNode ch : root.path("channels")) {
      String port = ch.path("port").asText(null);
      String file = ch.path("file").asText(null);
      if (port == null || file == null) {
        throw new CaptureFormatException(
            manifest, 0, "a channels entry lacks \"port\" or \"file\"");
      }
      Path p = dir.resolve(file).normalize();
      if (!p.startsWith(dir.normalize())) {
        throw new CaptureFormatException(
            manifest, 0, "channel file " + file + " is outside the checkpoint");
      }
      c.channels.put(port, readChannel(p));
    }
    if (root.path("switchStates").isArray()) {
      c.portsBySwitch = new LinkedHashMap<>();
      for (JsonNode ref : root.path("switchStates")) {
        String file = ref.path("file").asText("");
        Path p = dir.resolve(file).normalize();
        if (file.isEmpty() || !p.startsWith(dir.normalize()) || !Files.isRegularFile(p)) {
          throw new CaptureFormatException(
              manifest, 0, "switch state file \"" + file + "\" is missing or outside");
        }
        JsonNode state;
        try {
          state = new ObjectMapper().readTree(p.toFile());
        } catch (JsonProcessingException e) {
          throw new CaptureFormatException(p, 0, "invalid JSON: " + e.getOriginalMessage());
        }
        java.util.Set<String> ports = new java.util.HashSet<>();
        for (JsonNode flag : state.path("ports")) {
          ports.add(flag.asText().split(",", 2)[0]);
        }
        c.portsBySwitch.put(state.path("switch").asText(""), ports);
      }
    }
    return c;
  }

  private static List<Entry> readChannel(Path file) throws IOException {
    List<Entry> out = new ArrayList<>();
    try (CaptureReader r = new PcapngReader(file, 64 << 10)) {
      while (r.next()) {
        out.add(
            new Entry(
                r.captureInterface().name(),
                r.packetId(),
                new FrameRef(file.toString(), r.frameNumber(), r.packetId())));
      }
    }
    return out;
  }
}
