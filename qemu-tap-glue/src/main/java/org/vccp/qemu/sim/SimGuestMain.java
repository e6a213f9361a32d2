package org.vccp.qemu.sim;

import java.io.IOException;
import java.util.Arrays;

/**
 * {@code java -cp ... org.vccp.qemu.sim.SimGuestMain --name g1 ...}: a sim-guest as its own process
 * without the picocli front end ({@code vccp sim-guest} is the user-facing command and takes the
 * same arguments). Exit status: 0 after quit or powerdown, 1 when an incoming migration fails to
 * load, 2 for bad arguments or sockets that cannot be opened.
 */
public final class SimGuestMain {
  private SimGuestMain() {}

  public static void main(String[] args) throws InterruptedException {
    SimGuestOptions options;
    try {
      options = SimGuestOptions.parse(Arrays.asList(args));
    } catch (IllegalArgumentException e) {
      System.err.println("vccp sim-guest: " + e.getMessage());
      System.exit(2);
      return;
    }
    System.exit(run(options));
  }

  /** Runs a sim-guest in this process until it ends; its exit status. */
  public static int run(SimGuestOptions options) throws InterruptedException {
    SimGuest guest;
    try {
      guest = SimGuest.start(options);
    } catch (IOException e) {
      System.err.println("vccp sim-guest " + options.name() + ": cannot start: " + e);
      return 2;
    }
    return guest.awaitExit();
  }
}
