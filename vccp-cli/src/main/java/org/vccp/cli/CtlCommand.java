package org.vccp.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.Callable;
import org.vccp.vnet.control.ControlClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code vccp ctl}: talks to a running switch over its control socket. */
@Command(
    name = "ctl",
    mixinStandardHelpOptions = true,
    description = {
      "Query or change a running switch through its control socket (JSON lines).",
      "",
      "Commands:",
      "  ports               list ports, their state and queues",
      "  stats               counters of the switch and of every port",
      "  macs                the MAC table",
      "  add-port SPEC       add a port, e.g. g3,listen=unix:/tmp/g3.sock or tap1,pcap=tap1",
      "  del-port NAME       remove a port",
      "  add-mac MAC PORT [VLAN]  add a static MAC entry",
      "  record start [DIR] [ROTATE] [SNAPLEN]  start recording (pcapng) into DIR",
      "  record stop         stop recording; the files are complete",
      "  record status       whether recording is on, where, how much",
      "  send JSON           send one raw request line",
      ""
    })
final class CtlCommand implements Callable<Integer> {
  @Option(
      names = "--socket",
      paramLabel = "PATH",
      description = "Control socket (default: the --switch's, $VCCP_RUNTIME_DIR/NAME.sock).")
  Path socket;

  @Option(
      names = "--switch",
      paramLabel = "NAME",
      description = "Name of the switch (vccp switch --name; default: switch).")
  String switchName;

  @Option(names = "--json", description = "Print the raw JSON reply.")
  boolean rawJson;

  @Parameters(
      index = "0",
      paramLabel = "COMMAND",
      description = "ports, stats, macs, add-port, del-port, add-mac, record, send")
  String command;

  @Parameters(index = "1..*", paramLabel = "ARG", arity = "0..*")
  java.util.List<String> args = new java.util.ArrayList<>();

  @Override
  public Integer call() throws Exception {
    if (socket == null) {
      socket =
          switchName != null
              ? org.vccp.vnet.control.SwitchSockets.controlSocket(switchName)
              : RuntimePaths.defaultControlSocket();
    }
    try (ControlClient client = new ControlClient(socket)) {
      ObjectNode req = client.json().createObjectNode();
      switch (command) {
        case "ports", "stats", "macs" -> req.put("cmd", command);
        case "add-port" -> req.put("cmd", command).put("spec", arg(0, "SPEC"));
        case "del-port" -> req.put("cmd", command).put("name", arg(0, "NAME"));
        case "add-mac" ->
            req.put("cmd", command)
                .put("mac", arg(0, "MAC"))
                .put("port", arg(1, "PORT"))
                .put("vlan", args.size() > 2 ? Integer.parseInt(args.get(2)) : 1);
        case "record" -> {
          String action = arg(0, "start|stop|status");
          req.put("cmd", command).put("action", action);
          if (action.equals("start") && args.size() > 1) {
            req.put("dir", java.nio.file.Path.of(args.get(1)).toAbsolutePath().toString());
          }
          if (action.equals("start") && args.size() > 2) {
            req.put("rotate", args.get(2));
          }
          if (action.equals("start") && args.size() > 3) {
            req.put("snaplen", Integer.parseInt(args.get(3)));
          }
        }
        case "send" -> {
          String reply = client.sendLine(arg(0, "JSON"));
          System.out.println(reply);
          return client.json().readTree(reply).path("ok").asBoolean() ? 0 : 1;
        }
        default ->
            throw new IllegalArgumentException(
                "unknown command '" + command + "'; see vccp ctl --help");
      }
      JsonNode reply = client.request(req);
      if (!reply.path("ok").asBoolean()) {
        System.err.println("vccp ctl: " + reply.path("error").asText());
        return 1;
      }
      if (rawJson) {
        System.out.println(
            client.json().writerWithDefaultPrettyPrinter().writeValueAsString(reply));
      } else {
        print(reply);
      }
      return 0;
    }
  }

  private String arg(int i, String name) {
    if (args.size() <= i) {
      throw new IllegalArgumentException(command + " needs " + name + "; see vccp ctl --help");
    }
    return args.get(i);
  }

  private void print(JsonNode reply) {
    switch (command) {
      case "ports" -> {
        System.out.printf(
            "%-4s %-16s %-24s %-14s %-8s %s%n", "ID", "NAME", "STATE", "VLAN", "QUEUED", "SPEC");
        for (JsonNode p : reply.path("ports")) {
          System.out.printf(
              "%-4d %-16s %-24s %-14s %-8d %s%n",
              p.path("id").asInt(),
              p.path("name").asText(),
              p.path("state").asText(),
              p.path("vlan").asText(),
              p.path("queued_bytes").asLong(),
              p.path("spec").asText());
        }
      }
      case "stats" -> {
        for (Iterator<Map.Entry<String, JsonNode>> it = reply.path("switch").fields();
            it.hasNext(); ) {
          var e = it.next();
          System.out.printf("%-26s %d%n", e.getKey(), e.getValue().asLong());
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = reply.path("ports").fields();
            it.hasNext(); ) {
          var e = it.next();
          StringBuilder sb = new StringBuilder("port " + e.getKey() + ":");
          e.getValue()
              .fields()
              .forEachRemaining(
                  c -> {
                    if (c.getValue().asLong() != 0
                        || c.getKey().startsWith("rx_")
                        || c.getKey().startsWith("tx_")) {
                      sb.append(' ').append(c.getKey()).append('=').append(c.getValue().asLong());
                    }
                  });
          System.out.println(sb);
        }
      }
      case "macs" -> {
        System.out.printf("%-6s %-18s %-16s %-7s %s%n", "VLAN", "MAC", "PORT", "STATIC", "AGE(s)");
        for (JsonNode m : reply.path("macs")) {
          System.out.printf(
              "%-6d %-18s %-16s %-7s %.1f%n",
              m.path("vlan").asInt(),
              m.path("mac").asText(),
              m.path("port").asText(),
              m.path("static").asBoolean() ? "yes" : "no",
              m.path("age_ms").asLong() / 1000.0);
        }
      }
      case "record" ->
          System.out.println(
              reply.path("recording").asBoolean()
                  ? "recording run "
                      + reply.path("run").asText()
                      + " into "
                      + reply.path("file").asText()
                      + " ("
                      + reply.path("events").asLong()
                      + " events, "
                      + reply.path("bytes").asLong()
                      + " bytes)"
                  : "not recording"
                      + (reply.has("run")
                          ? "; last run "
                              + reply.path("run").asText()
                              + ": "
                              + reply.path("files").asInt()
                              + " file(s), "
                              + reply.path("events").asLong()
                              + " events"
                          : "")
                      + (reply.has("error_stopped")
                          ? "; stopped by error: " + reply.path("error_stopped").asText()
                          : ""));
      default -> System.out.println("ok");
    }
  }
}
