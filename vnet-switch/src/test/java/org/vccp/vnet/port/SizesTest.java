package org.vccp.vnet.port;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class SizesTest {
  @Test
  void durationsInEveryUnit() {
    assertThat(Sizes.parseDuration("100ns", "x")).isEqualTo(Duration.ofNanos(100));
    assertThat(Sizes.parseDuration("250us", "x")).isEqualTo(Duration.ofNanos(250_000));
    assertThat(Sizes.parseDuration("500ms", "x")).isEqualTo(Duration.ofMillis(500));
    assertThat(Sizes.parseDuration(" 1.5s ", "x")).isEqualTo(Duration.ofMillis(1500));
    assertThat(Sizes.parseDuration("10m", "x")).isEqualTo(Duration.ofMinutes(10));
    assertThat(Sizes.parseDuration("1h", "x")).isEqualTo(Duration.ofHours(1));
  }

  @Test
  void aBadDurationNamesTheOption() {
    assertThatThrownBy(() -> Sizes.parseDuration("soon", "--every"))
        .hasMessage("--every soon: expected a duration like 500ms, 1.5s, 60s, 5m or 1h");
    assertThat(Sizes.isDuration("1GiB")).isFalse();
    assertThat(Sizes.isDuration("10m")).isTrue();
  }

  @Test
  void bytes() {
    assertThat(Sizes.parseBytes("64KiB", "x")).isEqualTo(65_536);
    assertThat(Sizes.parseBytes("1GiB", "x")).isEqualTo(1L << 30);
  }
}
