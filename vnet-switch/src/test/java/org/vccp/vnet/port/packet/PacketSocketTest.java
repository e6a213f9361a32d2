package org.vccp.vnet.port.packet;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import org.junit.jupiter.api.Test;

/** The socket's errors name the call and the kernel's reason (errno read through JNA). */
class PacketSocketTest {
  @Test
  void aMissingInterfaceIsNamedWithTheKernelsReason() {
    assertThatThrownBy(() -> PacketSocket.open("vccpnone0", 1 << 20))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("no interface vccpnone0")
        .hasMessageContaining("errno 19"); // ENODEV from if_nametoindex
  }
}
