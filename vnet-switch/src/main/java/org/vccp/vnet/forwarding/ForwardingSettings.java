package org.vccp.vnet.forwarding;

/** What the forwarder needs from the switch settings. */
public record ForwardingSettings(
    int maxPorts, long agingNs, int macTableCapacity, int maxFrameBytes) {}
