package org.vccp.qemu.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class GuestEventTest {

  @Test
  void parsesTheEventWordAndKeyValuePairsInOrder() {
    GuestEvent event =
        GuestEvent.parse("VCCP FETCH n=1 ok=1 bytes=8388608 md5=0123abcd ms=412 tries=2")
            .orElseThrow();

    assertThat(event.event()).isEqualTo(GuestEvent.FETCH);
    assertThat(event.is(GuestEvent.FETCH)).isTrue();
    assertThat(event.ok()).isTrue();
    assertThat(event.getLong("bytes")).isEqualTo(8_388_608L);
    assertThat(event.get("md5")).isEqualTo("0123abcd");
    assertThat(event.fields()).containsOnlyKeys("n", "ok", "bytes", "md5", "ms", "tries");
    assertThat(event).hasToString("VCCP FETCH n=1 ok=1 bytes=8388608 md5=0123abcd ms=412 tries=2");
  }

  @Test
  void ignoresLinesThatAreNotReports() {
    assertThat(GuestEvent.parse("Booting from ROM...")).isEmpty();
    assertThat(GuestEvent.parse("VCCP ")).isEmpty();
    assertThat(GuestEvent.parse("xVCCP READY")).isEmpty();
  }

  @Test
  void namesTheEventAndKeyWhenANumberIsMissing() {
    GuestEvent ping = GuestEvent.parse("VCCP PING seq=2 ok=0").orElseThrow();

    assertThat(ping.ok()).isFalse();
    assertThatThrownBy(() -> ping.getLong("rtt_ms"))
        .hasMessageContaining("VCCP PING line has no integer rtt_ms");
  }
}
