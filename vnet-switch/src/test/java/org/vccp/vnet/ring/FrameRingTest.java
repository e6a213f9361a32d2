package org.vccp.vnet.ring;

import static org.assertj.core.api.Assertions.assertThat;

import com.lmax.disruptor.EventHandler;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.vccp.vnet.testing.Await;

class FrameRingTest {
  /**
   * A batch larger than a quarter of the ring goes in several claims; every frame still arrives
   * once, in order, whole, at the forwarder and at the consumer trailing it.
   */
  @Test
  void batchesLargerThanTheRingArriveWholeAndInOrderAtEveryConsumer() {
    List<byte[]> first = new CopyOnWriteArrayList<>();
    List<byte[]> trailing = new CopyOnWriteArrayList<>();
    EventHandler<FrameSlot> a = (slot, seq, end) -> first.add(copy(slot));
    EventHandler<FrameSlot> b = (slot, seq, end) -> trailing.add(copy(slot));
    FrameRing ring = new FrameRing(64, 128, 4, WaitStrategyName.BLOCKING, a, b);
    ring.start();
    try {
      ByteBuf buf = Unpooled.buffer();
      int count = 300;
      int[] indexes = new int[count];
      int[] lengths = new int[count];
      List<byte[]> sent = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        byte[] f = new byte[14 + i % 200];
        f[0] = (byte) i;
        f[f.length - 1] = (byte) (i >> 8);
        indexes[i] = buf.writerIndex() + 3;
        lengths[i] = f.length;
        buf.writeZero(3).writeBytes(f);
        sent.add(f);
      }
      ring.publishFrames(2, buf, indexes, lengths, count);
      Await.until(
          "both consumers saw every frame", Duration.ofSeconds(10), () -> trailing.size() == count);
      assertThat(first).containsExactlyElementsOf(sent);
      assertThat(trailing).containsExactlyElementsOf(sent);
    } finally {
      ring.close();
    }
  }

  private static byte[] copy(FrameSlot slot) {
    assertThat(slot.kind).isEqualTo(FrameSlot.KIND_FRAME);
    assertThat(slot.ingressPortId).isEqualTo(2);
    return java.util.Arrays.copyOf(slot.data, slot.length);
  }
}
