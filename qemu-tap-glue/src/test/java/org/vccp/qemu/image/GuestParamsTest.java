package org.vccp.qemu.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class GuestParamsTest {

  @Test
  void rendersEveryParameterInAFixedOrder() {
    GuestParams params =
        GuestParams.builder("g2")
            .ip("10.0.0.2")
            .peer("10.0.0.1")
            .workloads(Workload.PING, Workload.HTTP_FETCH_MD5)
            .sizeMb(16)
            .count(2)
            .port(8080)
            .intervalMs(50)
            .timeoutS(30)
            .build();

    assertThat(params.toKernelArgs())
        .isEqualTo(
            "vccp.name=g2 vccp.ip=10.0.0.2/24 vccp.peer=10.0.0.1"
                + " vccp.workload=ping,http-fetch-md5 vccp.size_mb=16 vccp.count=2"
                + " vccp.port=8080 vccp.interval_ms=50 vccp.timeout_s=30");
  }

  @Test
  void aGuestWithoutNetworkOnlyNamesItselfAndItsWorkload() {
    assertThat(GuestParams.builder("c1").workloads(Workload.COUNTER).build().toKernelArgs())
        .startsWith("vccp.name=c1 vccp.workload=counter ");
  }

  @Test
  void rejectsWhatInitCouldNotUse() {
    assertThatThrownBy(() -> GuestParams.builder("g1").ip("10.0.0.300").build())
        .hasMessageContaining("not an IPv4 address");
    assertThatThrownBy(() -> GuestParams.builder("g1").workloads(Workload.PING).build())
        .hasMessageContaining("need both ip and peer");
    assertThatThrownBy(() -> GuestParams.builder("g 1").build()).hasMessageContaining("guest name");
    assertThatThrownBy(() -> GuestParams.builder("g1").sizeMb(0).build())
        .hasMessageContaining("vccp.size_mb=0 is outside 1..4096");
    assertThatThrownBy(() -> Workload.fromParamName("udp"))
        .hasMessageContaining("known: idle, ping, http-serve, http-fetch-md5, counter");
  }
}
