package org.vccp.vnet.ring;

/**
 * Implemented by a forwarder that must not be run on ingress threads at times (see {@link
 * ForwardingProcessor}): while it says no, every slot goes to the forwarder thread.
 */
public interface InlineGuard {
  /**
   * Whether an ingress thread may forward its own frames now. Read by ingress threads: must be
   * cheap and thread-safe (a volatile field).
   */
  boolean allowsInline();
}
