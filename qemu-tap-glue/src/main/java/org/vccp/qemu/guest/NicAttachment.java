package org.vccp.qemu.guest;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.io.Serializable;

/**
 * What a guest NIC's netdev is plugged into: a {@link StreamSocket} (a switch port over {@code
 * -netdev stream}), a {@link TapDevice} ({@code -netdev tap}, optionally with ifup/ifdown scripts)
 * or a {@link BridgeHelper} ({@code -netdev bridge}, the TAP made by a helper program). In JSON the
 * kind is the {@code type} property: {@code stream}, {@code tap} or {@code bridge}.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
  @JsonSubTypes.Type(value = StreamSocket.class, name = "stream"),
  @JsonSubTypes.Type(value = TapDevice.class, name = "tap"),
  @JsonSubTypes.Type(value = BridgeHelper.class, name = "bridge")
})
public sealed interface NicAttachment extends Serializable
    permits StreamSocket, TapDevice, BridgeHelper {

  /** The whole {@code -netdev} value for netdev {@code id}, e.g. {@code tap,id=n0,...}. */
  String netdevArgument(String id);
}
