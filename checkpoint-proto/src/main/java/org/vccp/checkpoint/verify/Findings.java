package org.vccp.checkpoint.verify;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Where every check puts its findings: counts them by check and kind, streams each one to the JSON
 * report as it comes (so memory does not grow with their number) and keeps the first {@code
 * keepLimit} for the human summary and for tests.
 */
public final class Findings implements Closeable {
  private final JsonGenerator json;
  private final int keepLimit;
  private final List<Finding> kept = new ArrayList<>();
  private final Map<String, Long> counts = new TreeMap<>();
  private long errors;
  private long warnings;
  private long total;

  /** Findings kept in memory only (up to {@code keepLimit}). */
  public Findings(int keepLimit) {
    this.json = null;
    this.keepLimit = keepLimit;
  }

  /** Findings also written, one by one, into the {@code findings} array of a JSON file. */
  public Findings(int keepLimit, Path jsonFile) throws IOException {
    this.keepLimit = keepLimit;
    this.json = new JsonFactory().createGenerator(jsonFile.toFile(), JsonEncoding.UTF8);
    json.useDefaultPrettyPrinter();
    json.writeStartObject();
    json.writeStringField("format", "vccp-verify/1");
    json.writeArrayFieldStart("findings");
  }

  void add(Finding f) {
    total++;
    if (f.severity() == Severity.ERROR) {
      errors++;
    } else if (f.severity() == Severity.WARNING) {
      warnings++;
    }
    counts.merge(f.check() + "/" + f.kind(), 1L, Long::sum);
    if (kept.size() < keepLimit) {
      kept.add(f);
    }
    if (json != null) {
      try {
        write(f);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  private void write(Finding f) throws IOException {
    json.writeStartObject();
    json.writeStringField("check", f.check());
    json.writeStringField("kind", f.kind());
    json.writeStringField("severity", f.severity().name().toLowerCase());
    if (f.channel() != null) {
      json.writeStringField("channel", f.channel());
    }
    if (f.flow() != null) {
      json.writeStringField("flow", f.flow());
    }
    if (f.epoch() >= 0) {
      json.writeNumberField("epoch", f.epoch());
    }
    json.writeArrayFieldStart("frames");
    for (FrameRef r : f.frames()) {
      json.writeStartObject();
      json.writeStringField("file", r.file());
      json.writeNumberField("frame", r.frame());
      if (r.packetId() >= 0) {
        json.writeNumberField("packetId", r.packetId());
      }
      json.writeEndObject();
    }
    json.writeEndArray();
    json.writeStringField("message", f.message());
    json.writeEndObject();
  }

  /** Ends the findings array and writes the report's summary fields after it. */
  void finishJson(VerifyReport report) throws IOException {
    if (json == null) {
      return;
    }
    json.writeEndArray();
    report.writeJson(json);
    json.writeEndObject();
  }

  public long errors() {
    return errors;
  }

  public long warnings() {
    return warnings;
  }

  public long total() {
    return total;
  }

  /** Count of findings of one check and kind, e.g. {@code count("channel", "lost")}. */
  public long count(String check, String kind) {
    return counts.getOrDefault(check + "/" + kind, 0L);
  }

  /** Counts by {@code check/kind}, sorted. */
  public Map<String, Long> counts() {
    return Collections.unmodifiableMap(counts);
  }

  /** The first findings (up to the keep limit), in the order they were made. */
  public List<Finding> list() {
    return Collections.unmodifiableList(kept);
  }

  @Override
  public void close() throws IOException {
    if (json != null) {
      json.close();
    }
  }
}
