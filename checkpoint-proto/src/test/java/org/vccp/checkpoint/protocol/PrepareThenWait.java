package org.vccp.checkpoint.protocol;

import java.nio.file.Path;
import org.vccp.checkpoint.store.CheckpointStore;

/**
 * A coordinator that dies mid-epoch, run in its own JVM by RemoteAgentTest: begins the next epoch
 * in the store, prepares it on the agent at {@code HOST PORT}, prints {@code prepared N}, and waits
 * to be killed.
 */
public final class PrepareThenWait {
  private PrepareThenWait() {}

  public static void main(String[] args) throws Exception {
    String host = args[0];
    int port = Integer.parseInt(args[1]);
    AgentToken token = AgentToken.read(Path.of(args[2]));
    CheckpointStore store = new CheckpointStore(Path.of(args[3]));
    long epoch = store.nextEpoch();
    store.begin(epoch);
    RemoteAgent agent =
        new RemoteAgent(host, port, token, RemoteAgent.Timeouts.of(ProtocolSettings.DEFAULTS));
    agent.prepare(epoch, false);
    System.out.println("prepared " + epoch);
    System.out.flush();
    Thread.sleep(Long.MAX_VALUE);
  }
}
