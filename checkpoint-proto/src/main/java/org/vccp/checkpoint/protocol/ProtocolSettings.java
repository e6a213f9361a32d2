package org.vccp.checkpoint.protocol;

import java.time.Duration;

/**
 * Time limits of the protocol.
 *
 * @param drain how long a held guest may take to read what was already written to it
 * @param qmp a stop/cont/load command
 * @param save one guest's migration stream
 * @param coordinatorSilence how long an agent waits, after prepare, for resume or abort before it
 *     resumes its guests on its own
 * @param quiet how long a stopped guest's port must stay quiet before its cut is marked
 */
public record ProtocolSettings(
    Duration drain, Duration qmp, Duration save, Duration coordinatorSilence, Duration quiet) {
  public static final ProtocolSettings DEFAULTS =
      new ProtocolSettings(
          Duration.ofSeconds(5),
          Duration.ofSeconds(10),
          Duration.ofMinutes(5),
          Duration.ofSeconds(60),
          Duration.ofMillis(20));
}
