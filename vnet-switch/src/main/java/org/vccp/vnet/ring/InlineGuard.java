package org.vccp.vnet.ring;

/**
 * Implemented by a forwarder that must not be run on ingress threads at times (see {@link
 * ForwardingProcessor}): while it says no, every slot goes to the forwarder thread. It also hears
 * how many slots ingress threads forwarded.
 */
public interface InlineGuard {
  /**
   * Whether an ingress thread may forward its own frames now. Read by ingress threads: must be
   * cheap and thread-safe (a volatile field).
   */
  boolean allowsInline();

  /**
   * Told, by the thread that holds the forwarder's role, that the slots it forwards from now on (up
   * to the next call) are its own, read into an idle ring ({@code true}: low load), or not.
   */
  default void forwardingInline(boolean inline) {}

  /** Told, by the thread that did it, that it forwarded {@code slots} of its own slots. */
  default void forwardedInline(long slots) {}
}
