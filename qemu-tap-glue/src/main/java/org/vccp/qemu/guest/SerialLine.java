package org.vccp.qemu.guest;

import java.util.Optional;
import org.vccp.qemu.image.GuestEvent;

/**
 * One line of a guest's serial console, cleaned of carriage returns and terminal escapes.
 *
 * @param index position in the log, from 0
 * @param text the line
 * @param seenNanos {@link System#nanoTime()} when the tailer read it (within about 10 ms of QEMU
 *     writing it)
 */
public record SerialLine(int index, String text, long seenNanos) {

  /** The VCCP report on this line, if it is one. */
  public Optional<GuestEvent> event() {
    return GuestEvent.parse(text);
  }
}
