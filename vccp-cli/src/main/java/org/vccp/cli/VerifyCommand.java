package org.vccp.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.vccp.checkpoint.verify.Verifier;
import org.vccp.checkpoint.verify.VerifyContext;
import org.vccp.checkpoint.verify.VerifyReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code vccp verify}: the packet-level correctness analyser over recordings and captures. */
@Command(
    name = "verify",
    mixinStandardHelpOptions = true,
    description = {
      "Check VCCP recordings, or plain pcap/pcapng captures (e.g. tcpdump on each tap), for"
          + " lost, duplicated and reordered frames, and checkpoints for consistent cuts.",
      "",
      "Inputs: FILEs, or DIRs meaning every *.pcapng/*.pcap in them; a DIR with a"
          + " MANIFEST.json is a checkpoint (same as --checkpoint). Recording files of one run"
          + " are read in index order; plain captures are merged by timestamp.",
      "",
      "Checks:",
      "  channel     per ingress->egress port (recordings: by packet id; plain captures: by"
          + " content, a frame's sender owning its source MAC): every frame delivered exactly"
          + " once, in FIFO order, unless dropped with a recorded reason. Frames pending within"
          + " --grace of a run's end are 'in flight', not lost.",
      "  checkpoint  with marks (and --checkpoint): no orphan (sent after the sender's cut,"
          + " delivered before the receiver's); the channel files hold exactly the frames in"
          + " flight at the cuts, in order.",
      "  restore     in a run restored from epoch E: every channel-state frame replayed once,"
          + " in order, before any newer frame on its channel.",
      "  tcp         per flow at each sending and delivery point: holes, out-of-order"
          + " segments, retransmissions (retransmissions are warnings).",
      "  udp         flows whose payload carries a sequence number (VCCPSEQ, udp-seq-send):"
          + " gaps, duplicates, reorders.",
      "",
      "Exit status: 0 clean, 1 violations (any error finding), 2 unreadable input (one line"
          + " with the file and byte offset).",
      ""
    },
    sortOptions = false)
final class VerifyCommand implements Callable<Integer> {
  @Parameters(paramLabel = "FILE|DIR", arity = "1..*", description = "Captures or directories.")
  List<Path> inputs = new ArrayList<>();

  @Option(
      names = "--checkpoint",
      paramLabel = "DIR",
      description = "A checkpoint directory (MANIFEST.json + channel-*.pcapng); repeatable.")
  List<Path> checkpoints = new ArrayList<>();

  @Option(names = "--json", paramLabel = "FILE", description = "Write every finding as JSON.")
  Path json;

  @Option(
      names = "--grace",
      paramLabel = "DURATION",
      description = "Frames this close to a run's end are in flight, not lost (default 1s).")
  String grace = "1s";

  @Option(
      names = "--window",
      paramLabel = "FRAMES[,DURATION]",
      description =
          "How long a frame may stay undelivered before it is lost, and TCP holes/UDP gaps"
              + " stay open; bounds memory (default 1048576,10s). Either part may be given"
              + " alone, e.g. 30s.")
  String window;

  @Option(
      names = "--max-findings",
      paramLabel = "N",
      description = "Findings printed in the summary (default 20; all are in --json).")
  int maxFindings = 20;

  @Option(names = "--no-progress", description = "No progress bar even on a terminal.")
  boolean noProgress;

  @Override
  public Integer call() {
    VerifyContext ctx = new VerifyContext();
    try {
      ctx.inputs.addAll(inputs);
      ctx.checkpoints.addAll(checkpoints);
      ctx.jsonFile = json;
      ctx.graceNs = parseDurationNs(grace, "--grace");
      if (window != null) {
        for (String part : window.split(",")) {
          String p = part.trim();
          if (p.matches("\\d+")) {
            ctx.windowFrames = Integer.parseInt(p);
          } else {
            ctx.windowNs = parseDurationNs(p, "--window");
          }
        }
      }
      ctx.progress = !noProgress && System.console() != null;
      ctx.validate();
    } catch (IllegalArgumentException e) {
      System.err.println("vccp verify: " + e.getMessage());
      return 2;
    }
    VerifyReport report;
    try {
      report = Verifier.run(ctx, System.err);
    } catch (IOException | java.io.UncheckedIOException e) {
      String msg = e.getMessage() == null ? e.toString() : e.getMessage();
      System.err.println("vccp verify: " + msg.replace('\n', ' '));
      return 2;
    }
    report.print(System.out, maxFindings);
    return report.exitStatus();
  }

  /** {@code 500ms}, {@code 1.5s}, {@code 2m}, {@code 250us}, {@code 100ns}, {@code 1h}. */
  static long parseDurationNs(String text, String option) {
    return org.vccp.vnet.port.Sizes.parseDuration(text, option).toNanos();
  }
}
