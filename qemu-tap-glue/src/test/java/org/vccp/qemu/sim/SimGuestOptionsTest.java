package org.vccp.qemu.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The sim-guest command line: QEMU-like spellings in, one canonical form out, clear refusals. */
class SimGuestOptionsTest {
  private static List<String> base() {
    return new ArrayList<>(
        List.of(
            "--name", "g1",
            "--qmp", "unix:/tmp/vccp-t/g1.qmp",
            "--netdev", "stream,addr=unix:/tmp/vccp-t/g1.sock,server=off",
            "--mac", "52:54:00:AB:00:01",
            "--ip", "10.0.0.1",
            "--peer", "10.0.0.2",
            "--workload", "udp-seq-send",
            "--rate", "500",
            "--serial", "/tmp/vccp-t/g1.serial"));
  }

  @Test
  void parsesAndWritesBackTheSameOptions() {
    SimGuestOptions o = SimGuestOptions.parse(base());
    assertThat(o.mac()).isEqualTo("52:54:00:ab:00:01");
    assertThat(o.netdev().server()).isFalse();
    assertThat(o.netdev().unixPath()).isEqualTo(Path.of("/tmp/vccp-t/g1.sock"));
    assertThat(o.rate()).isEqualTo(500);
    assertThat(o.port()).isEqualTo(SimGuestOptions.DEFAULT_PORT);
    assertThat(o.incomingDefer()).isFalse();
    assertThat(SimGuestOptions.parse(o.toArgs())).isEqualTo(o);
    SimGuestOptions restore = o.forRestore(Path.of("/tmp/vccp-t/g1.2.serial"));
    assertThat(restore.toArgs()).containsSequence("--incoming", "defer");
    assertThat(SimGuestOptions.parse(restore.toArgs())).isEqualTo(restore);
  }

  @Test
  void acceptsQemuSpellingsOfTheNetdevAndQmp() {
    assertThat(
            SimGuestOptions.parseNetdev(
                "stream,id=n0,server=on,addr.type=unix,addr.path=/tmp/vccp-t/x.sock"))
        .satisfies(s -> assertThat(s.server()).isTrue())
        .satisfies(s -> assertThat(s.path()).isEqualTo("/tmp/vccp-t/x.sock"));
    assertThat(
            SimGuestOptions.parseNetdev(
                "stream,server=off,addr.type=inet,addr.host=127.0.0.1,addr.port=5555"))
        .satisfies(s -> assertThat(s.port()).isEqualTo(5555));
    assertThat(SimGuestOptions.parseNetdev("stream,addr=tcp:127.0.0.1:6000,server=on").host())
        .isEqualTo("127.0.0.1");
    assertThat(SimGuestOptions.parseQmp("unix:/tmp/vccp-t/q.sock,server=on,wait=off"))
        .isEqualTo(Path.of("/tmp/vccp-t/q.sock"));
  }

  @Test
  void refusesWhatItCannotDoSayingWhy() {
    assertThatThrownBy(() -> SimGuestOptions.parseNetdev("socket,listen=:1"))
        .hasMessageContaining("must start with 'stream,'");
    assertThatThrownBy(() -> SimGuestOptions.parseNetdev("stream,addr=unix:/tmp/x"))
        .hasMessageContaining("server=on or server=off");
    assertThatThrownBy(() -> SimGuestOptions.parseQmp("tcp:127.0.0.1:4444"))
        .hasMessageContaining("unix:PATH");
    List<String> noPeer = base();
    int peer = noPeer.indexOf("--peer");
    noPeer.subList(peer, peer + 2).clear();
    assertThatThrownBy(() -> SimGuestOptions.parse(noPeer)).hasMessageContaining("needs --peer");
    List<String> badIncoming = base();
    badIncoming.addAll(List.of("--incoming", "exec:cat f"));
    assertThatThrownBy(() -> SimGuestOptions.parse(badIncoming))
        .hasMessageContaining("only 'defer'");
    List<String> unknown = base();
    unknown.addAll(List.of("--smp", "2"));
    assertThatThrownBy(() -> SimGuestOptions.parse(unknown)).hasMessageContaining("--smp");
    List<String> badMac = base();
    badMac.set(badMac.indexOf("--mac") + 1, "01:00:5e:00:00:01");
    assertThatThrownBy(() -> SimGuestOptions.parse(badMac)).hasMessageContaining("multicast");
    List<String> badWorkload = base();
    badWorkload.set(badWorkload.indexOf("--workload") + 1, "http-serve");
    assertThatThrownBy(() -> SimGuestOptions.parse(badWorkload))
        .hasMessageContaining("known: udp-seq-send, udp-seq-recv, echo, idle");
  }
}
