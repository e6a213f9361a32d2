package org.vccp.checkpoint.protocol;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The secret a coordinator and its agents share. Compared in constant time: both sides are hashed
 * with SHA-256 first, so neither the content nor the length of the expected token leaks through the
 * time a refusal takes.
 */
public final class AgentToken {
  private final String value;
  private final byte[] digest;

  public AgentToken(String value) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException("the agent token must not be empty");
    }
    this.value = value;
    this.digest = sha256(value);
  }

  /** Reads a token file: its first line, without surrounding whitespace. */
  public static AgentToken read(Path file) throws IOException {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8).strip();
    } catch (IOException e) {
      throw new IOException("cannot read the agent token file " + file + ": " + e.getMessage(), e);
    }
    int eol = text.indexOf('\n');
    String first = (eol < 0 ? text : text.substring(0, eol)).strip();
    if (first.isEmpty()) {
      throw new IOException(
          "the agent token file " + file + " is empty; write a long random secret into it");
    }
    return new AgentToken(first);
  }

  /** The token as sent on the wire. */
  String value() {
    return value;
  }

  /** Whether {@code presented} is this token, in time independent of both. */
  public boolean matches(String presented) {
    return presented != null && MessageDigest.isEqual(digest, sha256(presented));
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JVM has no SHA-256", e);
    }
  }

  @Override
  public String toString() {
    return "AgentToken[redacted]";
  }
}
