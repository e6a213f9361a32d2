package org.vccp.qemu.sim;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Where a migration stream goes or comes from, by QEMU's URIs: {@code exec:CMD} runs {@code /bin/sh
 * -c CMD} with the stream on its stdin (outgoing) or read from its stdout (incoming), the other
 * standard stream on /dev/null and stderr shared, as QEMU does; {@code unix:PATH} connects and
 * writes (outgoing) or listens, accepts one connection and reads it to its end (incoming).
 *
 * <p>Stricter than QEMU in one way: an {@code exec:} command that exits non-zero fails the
 * migration, so {@code exec:cat > /missing/dir/f} reports {@code failed} rather than a short file.
 */
abstract class MigrationChannel {
  final String uri;

  private MigrationChannel(String uri) {
    this.uri = uri;
  }

  /** Parses {@code exec:CMD} or {@code unix:PATH}; anything else is refused with a reason. */
  static MigrationChannel parse(String uri) throws QmpServer.QmpError {
    if (uri.startsWith("exec:") && uri.length() > 5) {
      return new Exec(uri, uri.substring(5));
    }
    if (uri.startsWith("unix:") && uri.length() > 5) {
      return new Unix(uri, Path.of(uri.substring(5)));
    }
    throw QmpServer.QmpError.generic(
        "unsupported migration URI '" + uri + "'; a sim-guest takes exec:CMD or unix:PATH");
  }

  /** Writes the whole stream; returns only when the receiver has all of it. */
  abstract void send(byte[] stream) throws IOException;

  /** Prepares to receive (binds a listener), synchronously, before migrate-incoming answers. */
  abstract void open() throws IOException;

  /** Reads the whole stream from {@link #open}'s source. */
  abstract byte[] receive() throws IOException;

  private static final class Exec extends MigrationChannel {
    private final String command;
    private Process process;

    Exec(String uri, String command) {
      super(uri);
      this.command = command;
    }

    private ProcessBuilder shell() {
      return new ProcessBuilder(List.of("/bin/sh", "-c", command))
          .redirectError(ProcessBuilder.Redirect.INHERIT);
    }

    @Override
    void send(byte[] stream) throws IOException {
      Process p = shell().redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      IOException writeFailure = null;
      try (OutputStream in = p.getOutputStream()) {
        in.write(stream);
      } catch (IOException e) {
        writeFailure = e;
      }
      int status = waitFor(p);
      if (status != 0) {
        throw new IOException("exec command '" + command + "' exited with status " + status);
      }
      if (writeFailure != null) {
        throw new IOException(
            "exec command '" + command + "' did not read the stream: " + writeFailure.getMessage());
      }
    }

    @Override
    void open() throws IOException {
      process = shell().redirectInput(new File("/dev/null")).start();
    }

    @Override
    byte[] receive() throws IOException {
      byte[] stream;
      try (InputStream out = process.getInputStream()) {
        stream = out.readAllBytes();
      }
      int status = waitFor(process);
      if (status != 0) {
        throw new IOException("exec command '" + command + "' exited with status " + status);
      }
      return stream;
    }

    private int waitFor(Process p) throws IOException {
      try {
        return p.waitFor();
      } catch (InterruptedException e) {
        p.destroyForcibly();
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while exec command '" + command + "' ran");
      }
    }
  }

  private static final class Unix extends MigrationChannel {
    private final Path path;
    private ServerSocketChannel listener;

    Unix(String uri, Path path) {
      super(uri);
      this.path = path;
    }

    @Override
    void send(byte[] stream) throws IOException {
      try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
        c.connect(UnixDomainSocketAddress.of(path));
        ByteBuffer buffer = ByteBuffer.wrap(stream);
        while (buffer.hasRemaining()) {
          c.write(buffer);
        }
        c.shutdownOutput(); // like QEMU: completed once written; the reader sees EOF
      }
    }

    @Override
    void open() throws IOException {
      listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
      Files.deleteIfExists(path);
      listener.bind(UnixDomainSocketAddress.of(path), 1);
    }

    @Override
    byte[] receive() throws IOException {
      try (ServerSocketChannel l = listener;
          SocketChannel c = l.accept()) {
        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
        while (c.read(buffer) >= 0) {
          stream.write(buffer.array(), 0, buffer.position());
          buffer.clear();
        }
        return stream.toByteArray();
      } finally {
        Files.deleteIfExists(path);
      }
    }
  }
}
