package org.vccp.checkpoint.protocol;

import java.nio.file.Path;

/**
 * A committed checkpoint.
 *
 * @param downtimeNs first guest stopped to last guest continued
 * @param totalNs the whole epoch, prepare to commit
 */
public record CheckpointResult(
    long epoch, Path dir, long downtimeNs, long totalNs, long heldFrames, long imageBytes) {}
