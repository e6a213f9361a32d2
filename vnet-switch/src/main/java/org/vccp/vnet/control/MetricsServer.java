package org.vccp.vnet.control;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import org.vccp.vnet.VirtualSwitch;
import org.vccp.vnet.port.Port;
import org.vccp.vnet.port.PortBindException;
import org.vccp.vnet.status.PortCounter;
import org.vccp.vnet.status.SwitchCounter;

/**
 * Serves the switch's counters in the Prometheus text exposition format on {@code
 * 127.0.0.1:PORT/metrics}. Loopback only: counters name guests and must not leave the host.
 */
public final class MetricsServer implements AutoCloseable {
  private final HttpServer http;
  private final VirtualSwitch sw;

  public MetricsServer(VirtualSwitch sw, int port) {
    this.sw = sw;
    try {
      http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 16);
    } catch (IOException e) {
      throw new PortBindException(
          "metrics: cannot listen on 127.0.0.1:"
              + port
              + ": "
              + e.getMessage()
              + "; choose another --metrics-port",
          e);
    }
    http.setExecutor(
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "vccp-metrics");
              t.setDaemon(true);
              return t;
            }));
    http.createContext(
        "/metrics",
        ex -> {
          byte[] body = render().getBytes(StandardCharsets.UTF_8);
          ex.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
          ex.sendResponseHeaders(200, body.length);
          try (OutputStream os = ex.getResponseBody()) {
            os.write(body);
          }
        });
    http.start();
  }

  public int port() {
    return http.getAddress().getPort();
  }

  /** The exposition text. */
  public String render() {
    StringBuilder sb = new StringBuilder(4096);
    for (SwitchCounter c : SwitchCounter.values()) {
      boolean gauge = c == SwitchCounter.MAC_TABLE_SIZE;
      String name = "vccp_" + c.metricName() + (gauge ? "" : "_total");
      sb.append("# HELP ").append(name).append(' ').append(c.description()).append('\n');
      sb.append("# TYPE ").append(name).append(gauge ? " gauge\n" : " counter\n");
      sb.append(name).append(' ').append(sw.counters().get(c)).append('\n');
    }
    var ports = sw.ports();
    for (PortCounter c : PortCounter.values()) {
      String name = "vccp_port_" + c.metricName() + "_total";
      sb.append("# HELP ").append(name).append(' ').append(c.description()).append('\n');
      sb.append("# TYPE ").append(name).append(" counter\n");
      for (Port p : ports) {
        sb.append(name)
            .append("{port=\"")
            .append(p.name())
            .append("\"} ")
            .append(p.counters().get(c))
            .append('\n');
      }
    }
    sb.append("# HELP vccp_port_link_up 1 when the port has a connected peer\n");
    sb.append("# TYPE vccp_port_link_up gauge\n");
    for (Port p : ports) {
      sb.append("vccp_port_link_up{port=\"")
          .append(p.name())
          .append("\"} ")
          .append(p.isLinkUp() ? 1 : 0)
          .append('\n');
    }
    sb.append("# HELP vccp_port_egress_queued_bytes Bytes waiting in the port's egress queue\n");
    sb.append("# TYPE vccp_port_egress_queued_bytes gauge\n");
    for (Port p : ports) {
      sb.append("vccp_port_egress_queued_bytes{port=\"")
          .append(p.name())
          .append("\"} ")
          .append(p.egress().bytesQueued())
          .append('\n');
    }
    return sb.toString();
  }

  @Override
  public void close() {
    http.stop(0);
  }
}
