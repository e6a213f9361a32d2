package org.vccp.vnet.control;

import org.vccp.vnet.VirtualSwitch;
import org.vccp.vnet.config.SwitchContext;

/**
 * A switch with its control socket and metrics endpoint, as {@code vccp switch} runs it. Starts all
 * three or none: a failure to bind any socket closes what was started and rethrows.
 */
public final class SwitchDaemon implements AutoCloseable {
  private final VirtualSwitch sw;
  private final ControlServer control;
  private final MetricsServer metrics;

  private SwitchDaemon(VirtualSwitch sw, ControlServer control, MetricsServer metrics) {
    this.sw = sw;
    this.control = control;
    this.metrics = metrics;
  }

  public static SwitchDaemon start(SwitchContext ctx) {
    VirtualSwitch sw = VirtualSwitch.start(ctx);
    ControlServer control = null;
    MetricsServer metrics = null;
    try {
      if (ctx.controlSocket != null) {
        control = new ControlServer(sw, ctx.controlSocket);
        control.start(sw.ioLoop());
      }
      if (ctx.metricsPort > 0) {
        metrics = new MetricsServer(sw, ctx.metricsPort);
      }
      return new SwitchDaemon(sw, control, metrics);
    } catch (RuntimeException e) {
      if (control != null) {
        control.close();
      }
      sw.close();
      throw e;
    }
  }

  public VirtualSwitch virtualSwitch() {
    return sw;
  }

  public ControlServer control() {
    return control;
  }

  @Override
  public void close() {
    if (metrics != null) {
      metrics.close();
    }
    if (control != null) {
      control.close();
    }
    sw.close();
  }
}
