package org.vccp.checkpoint.store;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * {@code MANIFEST.json}: what a committed checkpoint holds and how to check it. The format is in
 * docs/recording-format.md; every file named is in the checkpoint's directory.
 *
 * @param format always {@link #FORMAT}
 * @param downtimeNs first guest stopped to last guest continued
 * @param recording the switch recording this checkpoint's marks are in, or null
 * @param switchState the (first) switch's MAC table and ports
 * @param switchStates every switch's state when the cluster spans several switches, else null
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Manifest(
    String format,
    long epoch,
    String mode,
    String createdAt,
    long downtimeNs,
    long totalNs,
    Recording recording,
    List<Guest> guests,
    List<Channel> channels,
    FileRef switchState,
    List<FileRef> switchStates) {
  public static final String FORMAT = "vccp-checkpoint/1";

  /** The recording (switch name and run id) whose marks describe this checkpoint's cuts. */
  public record Recording(String switchName, String run) {}

  /**
   * A guest: its switch port, its full launch spec (opaque here; the launcher reads it back) and
   * its image.
   */
  public record Guest(String name, String port, JsonNode spec, FileRef image) {}

  /** Held frames of one port at the cut, in order. */
  public record Channel(String port, String file, long frames, long bytes, String sha256) {}

  /** A file in the checkpoint directory with its size and SHA-256 (hex). */
  public record FileRef(String file, long bytes, String sha256) {}

  /** Every file this manifest names, for checksum verification. */
  public List<FileRef> files() {
    java.util.ArrayList<FileRef> all = new java.util.ArrayList<>();
    for (Guest g : guests) {
      all.add(g.image());
    }
    for (Channel c : channels) {
      all.add(new FileRef(c.file(), c.bytes(), c.sha256()));
    }
    if (switchStates != null) {
      all.addAll(switchStates);
    } else if (switchState != null) {
      all.add(switchState);
    }
    return all;
  }
}
