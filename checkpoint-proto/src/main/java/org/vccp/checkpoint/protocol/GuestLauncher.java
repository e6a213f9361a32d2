package org.vccp.checkpoint.protocol;

import com.fasterxml.jackson.databind.JsonNode;

/** Starts a guest from a manifest's spec in restore mode ({@code -incoming defer}), paused. */
public interface GuestLauncher {
  Hypervisor startIncoming(String name, String port, JsonNode spec) throws Exception;
}
