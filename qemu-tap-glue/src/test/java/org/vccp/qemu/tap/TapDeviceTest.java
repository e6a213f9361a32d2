package org.vccp.qemu.tap;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** TUNSETIFF through JNA: the kernel fills in the name pattern; the TAP lives as long as its fd. */
@Tag("root")
class TapDeviceTest {
  @Test
  void createsANamedTapWithAndWithoutVnetHeader() throws Exception {
    Assumptions.assumeTrue(
        "root".equals(System.getProperty("user.name")) && Files.exists(Path.of("/dev/net/tun")),
        "needs root and /dev/net/tun");
    String pattern = String.format("vt%05xk%%d", ThreadLocalRandom.current().nextInt(1 << 20));
    for (boolean vnet : new boolean[] {false, true}) {
      String name;
      try (TapDevice tap = TapDevice.create(pattern, vnet)) {
        name = tap.name();
        assertThat(name).startsWith(pattern.substring(0, 8)).doesNotContain("%");
        assertThat(tap.fd()).isPositive();
        int flags =
            Integer.decode(Files.readString(Path.of("/sys/class/net", name, "tun_flags")).trim());
        assertThat(flags & TapDevice.IFF_TAP).isNotZero();
        assertThat(flags & TapDevice.IFF_NO_PI).isNotZero();
        assertThat((flags & TapDevice.IFF_VNET_HDR) != 0).isEqualTo(vnet);
      }
      assertThat(Files.exists(Path.of("/sys/class/net", name))).as(name + " gone").isFalse();
    }
  }
}
