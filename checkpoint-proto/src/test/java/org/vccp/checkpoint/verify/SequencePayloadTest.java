package org.vccp.checkpoint.verify;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The UDP sequence payloads recognised by vccp verify. */
class SequencePayloadTest {
  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  @Test
  void udpSeqSendFormat() {
    ByteBuffer b = ByteBuffer.allocate(64);
    b.put(ascii("VCCPSEQ1")).putInt(7).putLong(123_456).putLong(99);
    UdpSeqPayload p = new UdpSeqPayload();
    assertThat(p.sequence(b.array(), 0, 64)).isEqualTo(123_456);
    assertThat(p.stream(b.array(), 0, 64)).isEqualTo(7);
    assertThat(p.sequence(b.array(), 0, 27)).as("shorter than the header").isEqualTo(-1);
    ByteBuffer hello = ByteBuffer.allocate(28).put(ascii("VCCPSEQ1")).putInt(7).putLong(0);
    assertThat(p.sequence(hello.array(), 0, 28)).as("handshake").isEqualTo(-1);
    assertThat(new VccpSeqPayload().sequence(b.array(), 0, 64)).isEqualTo(-1);
  }

  @Test
  void vccpSeqTextAndBinary() {
    VccpSeqPayload p = new VccpSeqPayload();
    byte[] t = ascii("xxVCCPSEQ 42\n");
    assertThat(p.sequence(t, 2, t.length - 2)).isEqualTo(42);
    byte[] end = ascii("VCCPSEQ 42");
    assertThat(p.sequence(end, 0, end.length)).isEqualTo(42);
    byte[] bad = ascii("VCCPSEQ 42x");
    assertThat(p.sequence(bad, 0, bad.length)).isEqualTo(-1);
    ByteBuffer bin = ByteBuffer.allocate(16).put(ascii("VCCPSEQ")).put((byte) 0).putLong(1L << 40);
    assertThat(p.sequence(bin.array(), 0, 16)).isEqualTo(1L << 40);
    assertThat(new DecimalSeqPayload("seq", "seq=").sequence(ascii("seq=9 rest"), 0, 10))
        .isEqualTo(9);
  }
}
