package org.vccp.vnet.control;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.vccp.vnet.VirtualSwitch;
import org.vccp.vnet.forwarding.MacTable;
import org.vccp.vnet.frame.MacAddress;
import org.vccp.vnet.port.Port;
import org.vccp.vnet.status.PortCounter;
import org.vccp.vnet.status.SwitchCounter;

/** Renders a switch's ports, counters and MAC table as JSON for the control socket. */
public final class SwitchStatus {
  private final VirtualSwitch sw;
  private final ObjectMapper json;

  public SwitchStatus(VirtualSwitch sw, ObjectMapper json) {
    this.sw = sw;
    this.json = json;
  }

  public ArrayNode ports() {
    ArrayNode list = json.createArrayNode();
    for (Port p : sw.ports()) {
      ObjectNode o = list.addObject();
      o.put("id", p.id());
      o.put("name", p.name());
      o.put("spec", p.spec().toFlag());
      o.put("state", p.describe());
      o.put("link", p.isLinkUp());
      o.put("vlan", p.spec().vlan().toString());
      o.put("lossless", p.spec().lossless());
      o.put("queued_bytes", p.egress().bytesQueued());
      o.put("queue_bytes", p.egress().capacityBytes());
    }
    return list;
  }

  public ObjectNode stats() {
    ObjectNode o = json.createObjectNode();
    ObjectNode s = o.putObject("switch");
    for (SwitchCounter c : SwitchCounter.values()) {
      s.put(c.metricName(), sw.counters().get(c));
    }
    s.put("ring_backlog", sw.ringBacklog());
    ObjectNode ports = o.putObject("ports");
    for (Port p : sw.ports()) {
      ObjectNode po = ports.putObject(p.name());
      for (PortCounter c : PortCounter.values()) {
        po.put(c.metricName(), p.counters().get(c));
      }
    }
    return o;
  }

  public ArrayNode macs() {
    ArrayNode list = json.createArrayNode();
    var names = new java.util.HashMap<Integer, String>();
    for (Port p : sw.ports()) {
      names.put(p.id(), p.name());
    }
    for (MacTable.Entry e : sw.macs()) {
      ObjectNode o = list.addObject();
      o.put("vlan", e.vlan());
      o.put("mac", MacAddress.format(e.mac()));
      o.put("port", names.getOrDefault(e.portId(), "#" + e.portId()));
      o.put("static", e.isStatic());
      o.put("age_ms", e.ageMs());
    }
    return list;
  }
}
