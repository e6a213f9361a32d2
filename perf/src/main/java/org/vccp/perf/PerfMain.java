package org.vccp.perf;

import java.io.IOException;
import org.vccp.perf.loadgen.CompareCommand;
import org.vccp.perf.loadgen.LoadgenCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the performance tools: {@code java -jar vccp-perf.jar <command>}. */
@Command(
    name = "vccp-perf",
    mixinStandardHelpOptions = true,
    version = "vccp-perf 0.1.0",
    description =
        "Load generator, side-by-side peer benchmarks and JMH micro-benchmarks for the VCCP"
            + " switch.",
    subcommands = {
      LoadgenCommand.class,
      CompareCommand.class,
      JmhCommand.class,
      org.vccp.perf.checkpoint.CheckpointBenchCommand.class,
      org.vccp.perf.checkpoint.CheckpointOverheadCommand.class,
      CommandLine.HelpCommand.class
    })
public final class PerfMain implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  public static void main(String[] args) {
    CommandLine cli =
        new CommandLine(new PerfMain())
            .setCaseInsensitiveEnumValuesAllowed(true)
            .setExecutionExceptionHandler(PerfMain::reportFailure);
    System.exit(cli.execute(args));
  }

  /** Settings errors and I/O failures are the user's to fix: one line, no stack trace. */
  private static int reportFailure(
      Exception e, CommandLine commandLine, CommandLine.ParseResult parseResult) {
    if (e instanceof IllegalArgumentException || e instanceof IOException) {
      commandLine
          .getErr()
          .println("vccp-perf " + commandLine.getCommandName() + ": " + e.getMessage());
      return e instanceof IllegalArgumentException ? 2 : 1;
    }
    e.printStackTrace(commandLine.getErr());
    return 1;
  }
}
