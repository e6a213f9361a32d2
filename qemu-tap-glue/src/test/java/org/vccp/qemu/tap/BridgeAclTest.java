package org.vccp.qemu.tap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** bridge.conf rules as qemu-bridge-helper applies them: allowed by a rule and denied by none. */
class BridgeAclTest {
  @TempDir Path dir;

  private BridgeAcl acl(String text) throws Exception {
    Path f = dir.resolve("bridge.conf");
    Files.writeString(f, text);
    return BridgeAcl.read(f);
  }

  @Test
  void defaultIsDeny() throws Exception {
    assertThat(acl("# nothing\n\n").allows("sw0")).isFalse();
  }

  @Test
  void allowNameAndAllowAll() throws Exception {
    BridgeAcl a = acl("allow sw0  # the lab switch\n");
    assertThat(a.allows("sw0")).isTrue();
    assertThat(a.allows("sw1")).isFalse();
    assertThat(acl("allow all\n").allows("anything")).isTrue();
  }

  @Test
  void denyWinsWhateverTheOrder() throws Exception {
    assertThat(acl("deny sw0\nallow all\n").allows("sw0")).isFalse();
    assertThat(acl("allow sw0\ndeny all\n").allows("sw0")).isFalse();
    assertThat(acl("allow all\ndeny sw1\n").allows("sw0")).isTrue();
  }

  @Test
  void includesAreReadRelativeToTheFile() throws Exception {
    Files.writeString(dir.resolve("more.conf"), "allow sw2\n");
    assertThat(acl("include more.conf\n").allows("sw2")).isTrue();
    Files.writeString(dir.resolve("loop.conf"), "include loop.conf\n");
    assertThatThrownBy(() -> BridgeAcl.read(dir.resolve("loop.conf")))
        .hasMessageContaining("include loop");
  }

  @Test
  void badLinesAndMissingFilesNameTheFile() throws Exception {
    assertThatThrownBy(() -> acl("permit sw0\n")).hasMessageContaining("bridge.conf:1");
    assertThatThrownBy(() -> BridgeAcl.read(dir.resolve("absent.conf")))
        .hasMessageContaining("absent.conf")
        .hasMessageContaining("VCCP_BRIDGE_CONF");
  }
}
