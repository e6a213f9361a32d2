package org.vccp.vnet.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** A blocking client of the control socket: one JSON request line, one JSON reply line. */
public final class ControlClient implements AutoCloseable {
  private final SocketChannel channel;
  private final BufferedReader in;
  private final OutputStream out;
  private final ObjectMapper json = new ObjectMapper();

  public ControlClient(Path socket) throws IOException {
    try {
      channel = SocketChannel.open(StandardProtocolFamily.UNIX);
      channel.connect(UnixDomainSocketAddress.of(socket));
    } catch (IOException e) {
      throw new IOException(
          "cannot reach the switch's control socket unix:"
              + socket
              + " ("
              + e.getMessage()
              + "); is `vccp switch` running? Pass --socket if it uses another path",
          e);
    }
    in =
        new BufferedReader(
            new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
    out = Channels.newOutputStream(channel);
  }

  /** Sends one raw line and returns the reply line. */
  public String sendLine(String line) throws IOException {
    out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
    out.flush();
    String reply = in.readLine();
    if (reply == null) {
      throw new IOException("the switch closed the control connection without replying");
    }
    return reply;
  }

  /** Sends a request object and returns the parsed reply. */
  public JsonNode request(JsonNode request) throws IOException {
    return json.readTree(sendLine(json.writeValueAsString(request)));
  }

  /**
   * Sends a request and returns its reply, passing the progress lines that a long command sends
   * before it to {@code progress}.
   */
  public JsonNode request(JsonNode request, java.util.function.Consumer<String> progress)
      throws IOException {
    out.write((json.writeValueAsString(request) + "\n").getBytes(StandardCharsets.UTF_8));
    out.flush();
    while (true) {
      String line = in.readLine();
      if (line == null) {
        throw new IOException("the switch closed the control connection without replying");
      }
      JsonNode reply = json.readTree(line);
      if (reply.has("progress") && !reply.has("ok")) {
        progress.accept(reply.get("progress").asText());
      } else {
        return reply;
      }
    }
  }

  public JsonNode command(String cmd) throws IOException {
    return request(json.createObjectNode().put("cmd", cmd));
  }

  public ObjectMapper json() {
    return json;
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
