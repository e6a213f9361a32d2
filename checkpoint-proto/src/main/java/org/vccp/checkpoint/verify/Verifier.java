package org.vccp.checkpoint.verify;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.vccp.checkpoint.verify.capture.CaptureFiles;
import org.vccp.checkpoint.verify.capture.CaptureFormatException;
import org.vccp.checkpoint.verify.capture.CaptureReader;

/**
 * {@code vccp verify} as a library call: sorts the inputs into VCCP recording runs (by the section
 * comment {@code vccp-recording run=... index=...}), checkpoint directories and plain captures;
 * checks each run in start order, so a restored run finds the channel state of the run it was
 * restored from, then the plain captures merged by timestamp.
 */
public final class Verifier {
  private Verifier() {}

  /**
   * Runs every check. Throws {@link CaptureFormatException} (or another IOException) when an input
   * cannot be read; the report otherwise.
   */
  public static VerifyReport run(VerifyContext ctx, PrintStream progressOut) throws IOException {
    ctx.validate();
    long start = System.nanoTime();
    List<Path> captures = new ArrayList<>();
    List<Path> checkpointDirs = new ArrayList<>(ctx.checkpoints);
    for (Path in : ctx.inputs) {
      if (Files.isDirectory(in)) {
        if (Files.isRegularFile(in.resolve("MANIFEST.json"))) {
          checkpointDirs.add(in);
        } else {
          captures.addAll(CaptureFiles.list(in));
          try (java.util.stream.Stream<Path> sub = Files.list(in)) {
            sub.filter(d -> Files.isRegularFile(d.resolve("MANIFEST.json")))
                .sorted()
                .forEach(checkpointDirs::add);
          }
        }
      } else if (Files.exists(in)) {
        captures.add(in);
      } else {
        throw new CaptureFormatException(in, 0, "no such file or directory");
      }
    }
    Map<Long, Checkpoint> checkpoints = new HashMap<>();
    for (Path dir : checkpointDirs) {
      Checkpoint c = Checkpoint.load(dir);
      checkpoints.put(c.epoch, c);
    }

    Map<String, TreeMap<Long, Path>> runs = new LinkedHashMap<>();
    Map<String, String> runStart = new HashMap<>();
    Map<String, String> runSwitch = new HashMap<>();
    List<Path> plain = new ArrayList<>();
    long totalBytes = 0;
    for (Path p : captures) {
      try (CaptureReader r = CaptureFiles.open(p)) {
        totalBytes += r.size();
        VccpText shb = recordingHeader(r.sectionComment());
        if (shb == null) {
          plain.add(p);
          continue;
        }
        String run = shb.get("run");
        runs.computeIfAbsent(run, k -> new TreeMap<>()).put(shb.number("index", 0), p);
        if (shb.get("switch") != null) {
          runSwitch.put(run, shb.get("switch"));
        }
        String started = shb.get("started");
        runStart.merge(run, started == null ? "" : started, (a, b) -> a.compareTo(b) <= 0 ? a : b);
      }
    }

    Findings findings =
        ctx.jsonFile == null
            ? new Findings(ctx.keepFindings)
            : new Findings(ctx.keepFindings, ctx.jsonFile);
    VerifyReport report = new VerifyReport(findings);
    Progress progress =
        ctx.progress && progressOut != null ? Progress.bar(progressOut, totalBytes) : Progress.NONE;
    try {
      Channels channels = new Channels();
      List<String> files = new ArrayList<>();
      Map<Long, RecordingAnalyser.Epoch> epochs = new HashMap<>();
      List<String> order = new ArrayList<>(runs.keySet());
      order.sort(
          (a, b) -> {
            int c = runStart.get(a).compareTo(runStart.get(b));
            return c != 0 ? c : a.compareTo(b);
          });
      for (String run : order) {
        TreeMap<Long, Path> indexed = runs.get(run);
        long expect = indexed.firstKey();
        for (Map.Entry<Long, Path> e : indexed.entrySet()) {
          if (e.getKey() != expect) {
            findings.add(
                new Finding(
                    "input",
                    "missing-file",
                    Severity.WARNING,
                    null,
                    null,
                    -1,
                    List.of(),
                    "run "
                        + run
                        + " has no file with index "
                        + expect
                        + " before "
                        + e.getValue()
                        + "; events across the gap are not checked as one"));
          }
          expect = e.getKey() + 1;
        }
        FlowChecker flows = new FlowChecker(ctx, findings, files);
        new RecordingAnalyser(
                ctx, findings, channels, files, flows, checkpoints, epochs, progress, report)
            .analyse(run, runSwitch.get(run), new ArrayList<>(indexed.values()));
        flows.finish();
        addFlows(report, flows);
        report.runs++;
      }
      if (!plain.isEmpty()) {
        FlowChecker flows = new FlowChecker(ctx, findings, files);
        new CaptureAnalyser(ctx, findings, channels, files, flows, progress, report).analyse(plain);
        flows.finish();
        addFlows(report, flows);
      }
      for (Checkpoint c : checkpoints.values()) {
        RecordingAnalyser.Epoch e = epochs.get(c.epoch);
        if (e == null && !runs.isEmpty()) {
          findings.add(
              new Finding(
                  "checkpoint",
                  "not-in-recording",
                  Severity.WARNING,
                  null,
                  null,
                  c.epoch,
                  List.of(),
                  "checkpoint "
                      + c.dir
                      + " (epoch "
                      + c.epoch
                      + ") has no committed marks in the"
                      + " recordings given; its channel state was not checked"));
        }
      }
      for (Channels.Channel ch : channels.all()) {
        ChannelStats s = ch.stats;
        if (s.sent == 0) {
          s.sent = s.delivered + s.lost + s.inFlight + s.dropped;
        }
        report.channels.add(s);
      }
      progress.finish();
    } finally {
      report.elapsedNs = System.nanoTime() - start;
      try {
        findings.finishJson(report);
      } finally {
        findings.close();
      }
    }
    return report;
  }

  private static void addFlows(VerifyReport report, FlowChecker flows) {
    report.tcpFlows += flows.tcpFlows();
    report.udpFlows += flows.udpFlows();
    report.tcpSegments += flows.tcpSegments();
    report.udpDatagrams += flows.udpDatagrams();
  }

  /** The parsed {@code vccp-recording ...} section comment, or null for other files. */
  static VccpText recordingHeader(String comment) {
    if (comment == null || !comment.startsWith("vccp-recording ")) {
      return null;
    }
    VccpText t = VccpText.parse("vccp:" + comment.substring("vccp-".length()));
    return t.get("run") == null ? null : t;
  }
}
