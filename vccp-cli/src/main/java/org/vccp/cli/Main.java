package org.vccp.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the {@code vccp} command: one subcommand per job. */
@Command(
    name = "vccp",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description = {
      "Virtual Cluster CheckPointing: a virtual switch for QEMU guests that can hold the"
          + " network still while the whole cluster is checkpointed as one consistent cut.",
      ""
    },
    subcommands = {
      SwitchCommand.class,
      CtlCommand.class,
      VerifyCommand.class,
      DemoCommand.class,
      GuestImageCommand.class,
      ClusterCommands.ClusterCommand.class,
      ClusterCommands.Checkpoint.class,
      ClusterCommands.Checkpoints.class,
      ClusterCommands.Restore.class,
      SimGuestCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Main implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** The configured command line, also used by tests. */
  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new Main());
    cl.setExecutionExceptionHandler(
        (ex, cmd, parseResult) -> {
          String msg = ex.getMessage() == null ? ex.toString() : ex.getMessage();
          cmd.getErr().println("vccp " + cmd.getCommandName() + ": " + msg);
          return 1;
        });
    return cl;
  }
}
