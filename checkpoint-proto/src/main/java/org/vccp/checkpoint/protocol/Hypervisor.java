package org.vccp.checkpoint.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;

/**
 * One guest as the checkpoint protocol sees it: pause, save, resume, and (for a guest started in
 * restore mode) load. Implemented over QMP by qemu-tap-glue, for real QEMU and for simulated guests
 * alike. Every method blocks until QEMU has done it, or throws.
 */
public interface Hypervisor extends AutoCloseable {
  /** The guest's name. */
  String name();

  /** The switch port its NIC is attached to. */
  String port();

  /** Its full launch spec, stored in the manifest so restore can start it identically. */
  JsonNode spec();

  /** Pauses the vCPUs (QMP {@code stop}); returns once the guest is paused. */
  void stop(Duration timeout) throws Exception;

  /** Resumes the vCPUs (QMP {@code cont}); returns once the guest runs. */
  void cont(Duration timeout) throws Exception;

  /** Writes the paused guest's migration stream to {@code file}; returns once it is complete. */
  void save(Path file, Duration timeout) throws Exception;

  /** Loads a migration stream into a guest started in restore mode; it stays paused. */
  void load(Path file, Duration timeout) throws Exception;

  /** Whether the guest's process is alive and its QMP connection up. */
  boolean isAlive();

  /** Kills the guest's process. */
  void kill();

  @Override
  void close();
}
