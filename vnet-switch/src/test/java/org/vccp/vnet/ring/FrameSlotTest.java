package org.vccp.vnet.ring;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class FrameSlotTest {
  /**
   * A slot starts with room for a few egress events and grows for a flood to many ports: every port
   * and edit (and every refusing port and reason) is kept, in the order added.
   */
  @Test
  void egressAndDroppedEventsGrowPastTheInitialRoomAndKeepTheirOrder() {
    FrameSlot slot = new FrameSlot(64, 256);
    int ports = 255;
    for (int p = 0; p < ports; p++) {
      slot.addEgress(p, 1000 + p);
      slot.addDropped(ports - p, p % 7);
    }
    assertThat(slot.egressCount).isEqualTo(ports);
    assertThat(Arrays.copyOf(slot.egressPorts, ports))
        .containsExactly(IntStream.range(0, ports).toArray());
    assertThat(Arrays.copyOf(slot.egressEdits, ports))
        .containsExactly(IntStream.range(0, ports).map(p -> 1000 + p).toArray());
    assertThat(slot.droppedCount).isEqualTo(ports);
    assertThat(Arrays.copyOf(slot.droppedPorts, ports))
        .containsExactly(IntStream.range(0, ports).map(p -> ports - p).toArray());
    assertThat(Arrays.copyOf(slot.droppedReasons, ports))
        .containsExactly(IntStream.range(0, ports).map(p -> p % 7).toArray());
  }

  /** A switch with a single port still gets a slot that can take events. */
  @Test
  void aOnePortSlotTakesEvents() {
    FrameSlot slot = new FrameSlot(64, 1);
    slot.addEgress(0, FrameSlot.EDIT_NONE);
    slot.addEgress(0, FrameSlot.EDIT_NONE);
    assertThat(slot.egressCount).isEqualTo(2);
  }
}
