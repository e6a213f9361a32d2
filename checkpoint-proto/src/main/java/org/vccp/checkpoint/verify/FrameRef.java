package org.vccp.checkpoint.verify;

/**
 * One frame in one input file, as Wireshark numbers it (1-based), with its pcapng packet id (-1
 * when the file has none).
 */
public record FrameRef(String file, long frame, long packetId) {
  @Override
  public String toString() {
    return file + "#" + frame + (packetId >= 0 ? " (id " + packetId + ")" : "");
  }
}
