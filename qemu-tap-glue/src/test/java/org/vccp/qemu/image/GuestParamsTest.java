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
  void writesTheUdpSeqParametersOnlyForUdpSeqWorkloads() {
    GuestParams sender =
        GuestParams.builder("s1")
            .ip("10.0.0.1")
            .peer("10.0.0.2")
            .workloads(Workload.UDP_SEQ_RECV, Workload.UDP_SEQ_SEND)
            .count(6000)
            .port(5001)
            .rate(200)
            .flow(7)
            .udpBytes(100)
            .build();

    assertThat(sender.toKernelArgs())
        .endsWith(
            " vccp.workload=udp-seq-recv,udp-seq-send vccp.size_mb=8 vccp.count=6000 vccp.port=5001"
                + " vccp.interval_ms=200 vccp.timeout_s=120 vccp.rate=200 vccp.flow=7"
                + " vccp.udp_bytes=100");
    assertThat(GuestParams.builder("c1").rate(5).build().toKernelArgs()).doesNotContain("rate");
    assertThatThrownBy(() -> GuestParams.builder("r1").workloads(Workload.UDP_SEQ_RECV).build())
        .hasMessageContaining("udp-seq-recv needs an ip");
    assertThatThrownBy(
            () -> GuestParams.builder("s1").ip("10.0.0.1").workloads(Workload.UDP_SEQ_SEND).build())
        .hasMessageContaining("need both ip and peer");
    assertThatThrownBy(() -> GuestParams.builder("s1").udpBytes(27).build())
        .hasMessageContaining("vccp.udp_bytes=27 is outside 28..1472");
    assertThatThrownBy(() -> GuestParams.builder("s1").rate(0).build())
        .hasMessageContaining("vccp.rate=0 is outside 1..100000");
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
