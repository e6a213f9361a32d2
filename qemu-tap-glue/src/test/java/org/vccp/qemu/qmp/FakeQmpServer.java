package org.vccp.qemu.qmp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A scripted QMP server on a Unix socket: the test decides every byte QEMU would send, including
 * how it is split into writes, so the client's framing, matching and failure paths are exercised
 * without QEMU.
 */
final class FakeQmpServer implements AutoCloseable {

  static final String GREETING =
      "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 19, \"minor\": 2, \"major\": 7},"
          + " \"package\": \"Debian 1:7.2+dfsg-7+deb12u16\"}, \"capabilities\": [\"oob\"]}}\r\n";

  private static final ObjectMapper JSON = new ObjectMapper();

  private final ServerSocketChannel server;
  private SocketChannel peer;
  private BufferedReader reader;

  FakeQmpServer(Path socket) throws IOException {
    server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(socket));
  }

  /** Accepts the client and sends the greeting in two writes. */
  void acceptAndGreet() throws IOException {
    peer = server.accept();
    reader =
        new BufferedReader(
            new InputStreamReader(Channels.newInputStream(peer), StandardCharsets.UTF_8));
    int half = GREETING.length() / 2;
    send(GREETING.substring(0, half));
    send(GREETING.substring(half));
  }

  /** Reads {@code qmp_capabilities} and answers it. */
  void completeHandshake() throws IOException {
    JsonNode command = readCommand();
    if (!"qmp_capabilities".equals(command.path("execute").asText())) {
      throw new IllegalStateException("expected qmp_capabilities, got " + command);
    }
    send(reply(command.get("id").asLong(), "{}"));
  }

  /** The next command the client sent. */
  JsonNode readCommand() throws IOException {
    String line = reader.readLine();
    if (line == null) {
      throw new IOException("client closed the connection");
    }
    return JSON.readTree(line);
  }

  /** Writes {@code text} as one write. */
  void send(String text) {
    try {
      ByteBuffer bytes = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
      while (bytes.hasRemaining()) {
        peer.write(bytes);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String reply(long id, String returnValue) {
    return "{\"return\": " + returnValue + ", \"id\": " + id + "}\r\n";
  }

  static String error(long id, String errorClass, String desc) {
    return "{\"id\": "
        + id
        + ", \"error\": {\"class\": \""
        + errorClass
        + "\", \"desc\": \""
        + desc
        + "\"}}\r\n";
  }

  static String event(String name, String data) {
    return "{\"timestamp\": {\"seconds\": 1700000000, \"microseconds\": 250}, \"event\": \""
        + name
        + "\""
        + (data == null ? "" : ", \"data\": " + data)
        + "}\r\n";
  }

  /** Hangs up on the client. */
  void dropClient() throws IOException {
    peer.close();
  }

  @Override
  public void close() throws IOException {
    if (peer != null) {
      peer.close();
    }
    server.close();
  }
}
