package org.vccp.qemu.sim;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A QMP monitor on a Unix socket, speaking QEMU's wire format: a greeting, then one JSON object per
 * line each way; commands answer {@code {"return": ...}} or {@code {"error": {"class": ..., "desc":
 * ...}}} with the command's {@code id} echoed, and events carry a wall-clock timestamp. As in QEMU,
 * a client must send {@code qmp_capabilities} first and only then gets events; one client is served
 * at a time and another may connect after it leaves.
 */
final class QmpServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(QmpServer.class);
  static final int MAX_LINE_BYTES = 1 << 20;

  /** Runs one command. */
  interface Handler {
    /** The command's {@code return} value; throws {@link QmpError} for an error reply. */
    JsonNode execute(String command, JsonNode arguments) throws QmpError;

    /** Called after the answer to {@code command} has been written (e.g. to exit after quit). */
    default void answered(String command) {}
  }

  /** An error answer: QEMU's error class ({@code GenericError}, {@code CommandNotFound}, ...). */
  static final class QmpError extends Exception {
    final String errorClass;

    QmpError(String errorClass, String desc) {
      super(desc);
      this.errorClass = errorClass;
    }

    static QmpError generic(String desc) {
      return new QmpError("GenericError", desc);
    }
  }

  private final Path path;
  private final ObjectMapper json;
  private final Handler handler;
  private final String guest;
  private final Object writeLock = new Object();
  private ServerSocketChannel listener;
  private volatile SocketChannel client;
  private volatile boolean negotiated;
  private volatile boolean closed;

  QmpServer(Path path, ObjectMapper json, Handler handler, String guest) {
    this.path = path;
    this.json = json;
    this.handler = handler;
    this.guest = guest;
  }

  void start() throws IOException {
    listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    Files.deleteIfExists(path);
    listener.bind(UnixDomainSocketAddress.of(path), 1);
    Thread t = new Thread(this::acceptLoop, "qmp-" + guest);
    t.setDaemon(true);
    t.start();
  }

  /** Sends an event to the current client, if it has negotiated capabilities; else drops it. */
  void emit(String event, JsonNode data) {
    Instant now = Instant.now();
    ObjectNode message = json.createObjectNode();
    message.put("event", event);
    message.set("data", data == null ? json.createObjectNode() : data);
    message
        .putObject("timestamp")
        .put("seconds", now.getEpochSecond())
        .put("microseconds", now.getNano() / 1000);
    SocketChannel c = client;
    if (c != null && negotiated) {
      send(c, message);
    }
  }

  private void acceptLoop() {
    while (!closed) {
      SocketChannel c;
      try {
        c = listener.accept();
      } catch (IOException e) {
        if (!closed) {
          LOG.warn("{}: QMP accept on {} failed: {}", guest, path, e.getMessage());
        }
        return;
      }
      serve(c);
    }
  }

  private void serve(SocketChannel c) {
    negotiated = false;
    client = c;
    try {
      ObjectNode greeting = json.createObjectNode();
      ObjectNode qmp = greeting.putObject("QMP");
      ObjectNode version = qmp.putObject("version");
      version.putObject("qemu").put("micro", 0).put("minor", 2).put("major", 7);
      version.put("package", "vccp-sim-guest");
      qmp.putArray("capabilities");
      send(c, greeting);
      LineReader lines = new LineReader(c);
      String line;
      while ((line = lines.next()) != null) {
        if (!line.isBlank()) {
          handle(c, line);
        }
      }
    } catch (IOException | UncheckedIOException e) {
      if (!closed) {
        LOG.debug("{}: QMP client left: {}", guest, e.getMessage());
      }
    } finally {
      client = null;
      negotiated = false;
      try {
        c.close();
      } catch (IOException e) {
        // closing is best effort
      }
    }
  }

  private void handle(SocketChannel c, String line) {
    JsonNode id = null;
    String command = null;
    ObjectNode answer = json.createObjectNode();
    try {
      JsonNode request;
      try {
        request = json.readTree(line);
      } catch (JsonProcessingException e) {
        throw QmpError.generic("JSON parse error, " + e.getOriginalMessage());
      }
      if (request == null || !request.isObject()) {
        throw QmpError.generic("QMP input must be a JSON object");
      }
      id = request.get("id");
      JsonNode execute = request.get("execute");
      if (execute == null || !execute.isTextual()) {
        throw QmpError.generic("QMP input lacks member 'execute'");
      }
      command = execute.asText();
      JsonNode arguments = request.get("arguments");
      if (arguments != null && !arguments.isObject()) {
        throw QmpError.generic("QMP input member 'arguments' must be an object");
      }
      if (arguments == null) {
        arguments = json.createObjectNode();
      }
      if (!negotiated) {
        if (!command.equals("qmp_capabilities")) {
          throw new QmpError(
              "CommandNotFound", "Expecting capabilities negotiation with 'qmp_capabilities'");
        }
        negotiated = true;
        answer.putObject("return");
      } else if (command.equals("qmp_capabilities")) {
        throw new QmpError(
            "CommandNotFound", "Capabilities negotiation is already complete, command ignored");
      } else {
        answer.set("return", handler.execute(command, arguments));
      }
    } catch (QmpError e) {
      answer.removeAll();
      answer.putObject("error").put("class", e.errorClass).put("desc", e.getMessage());
    } catch (RuntimeException e) {
      LOG.warn("{}: QMP {} failed", guest, command, e);
      answer.removeAll();
      answer.putObject("error").put("class", "GenericError").put("desc", String.valueOf(e));
    }
    if (id != null) {
      answer.set("id", id);
    }
    send(c, answer);
    if (command != null && answer.has("return")) {
      handler.answered(command);
    }
  }

  private void send(SocketChannel c, JsonNode message) {
    byte[] bytes;
    try {
      bytes = (json.writeValueAsString(message) + "\n").getBytes(StandardCharsets.UTF_8);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
    ByteBuffer buffer = ByteBuffer.wrap(bytes);
    synchronized (writeLock) {
      try {
        while (buffer.hasRemaining()) {
          c.write(buffer);
        }
      } catch (IOException e) {
        LOG.debug("{}: QMP write failed: {}", guest, e.getMessage());
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    try {
      if (listener != null) {
        listener.close();
      }
      SocketChannel c = client;
      if (c != null) {
        c.close();
      }
      Files.deleteIfExists(path);
    } catch (IOException e) {
      // closing is best effort
    }
  }

  /** Reads '\n'-terminated UTF-8 lines straight from the channel (no stream wrapper locks). */
  private static final class LineReader {
    private final SocketChannel channel;
    private final ByteBuffer buffer = ByteBuffer.allocate(8192);
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();

    LineReader(SocketChannel channel) {
      this.channel = channel;
      buffer.flip();
    }

    String next() throws IOException {
      while (true) {
        while (buffer.hasRemaining()) {
          byte b = buffer.get();
          if (b == '\n') {
            String text = line.toString(StandardCharsets.UTF_8);
            line.reset();
            return text;
          }
          line.write(b);
          if (line.size() > MAX_LINE_BYTES) {
            throw new IOException("a QMP line is longer than " + MAX_LINE_BYTES + " bytes");
          }
        }
        buffer.clear();
        int n = channel.read(buffer);
        buffer.flip();
        if (n < 0) {
          return null;
        }
      }
    }
  }
}
