package org.vccp.qemu.sim;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Everything of a simulated guest that a real guest would keep in its RAM and device state, so
 * everything its migration image holds: its identity (the command-line settings the image depends
 * on), the run state and guest clock at the save, the report timer, the network stack with its ARP
 * cache and transmit ring, and the workload. Frames the netdev had read but not yet handed to the
 * guest are deliberately not here, as in QEMU. Image body, in order:
 *
 * <pre>
 *   int n, n x (UTF key, UTF value)   identity: name workload mac ip peer port flow rate count udp-bytes
 *   UTF   run state at the save ("running" or "paused")
 *   long  guest clock ns;  long next report at guest ns
 *   GuestNet section;  workload section
 * </pre>
 */
final class GuestMemory {
  /** Identity keys that must match between an image and the guest loading it. */
  private static final String[] MUST_MATCH = {
    "workload", "mac", "ip", "peer", "port", "flow", "rate", "count", "udp-bytes"
  };

  final Map<String, String> identity;
  final GuestNet net;
  final SimWorkload workload;
  RunState savedState = RunState.PAUSED;
  long clockNs;
  long nextReportNs;

  private GuestMemory(Map<String, String> identity) {
    this.identity = identity;
    String ip = identity.get("ip");
    this.net =
        new GuestNet(Frames.parseMac(identity.get("mac")), ip.isEmpty() ? 0 : Frames.parseIpv4(ip));
    this.workload = createWorkload(identity);
  }

  /** A freshly booted guest's memory. */
  static GuestMemory fresh(SimGuestOptions options) {
    return new GuestMemory(identityOf(options));
  }

  static Map<String, String> identityOf(SimGuestOptions o) {
    Map<String, String> id = new LinkedHashMap<>();
    id.put("name", o.name());
    id.put("workload", o.workload().cliName());
    id.put("mac", o.mac());
    id.put("ip", o.ip() == null ? "" : o.ip());
    id.put("peer", o.peer() == null ? "" : o.peer());
    id.put("port", Integer.toString(o.port()));
    id.put("flow", Integer.toString(o.flow()));
    id.put("rate", Integer.toString(o.rate()));
    id.put("count", Long.toString(o.count()));
    id.put("udp-bytes", Integer.toString(o.udpBytes()));
    return id;
  }

  private static SimWorkload createWorkload(Map<String, String> id) {
    SimWorkloadKind kind = SimWorkloadKind.fromCliName(id.get("workload"));
    int port = Integer.parseInt(id.get("port"));
    int flow = Integer.parseInt(id.get("flow"));
    long count = Long.parseLong(id.get("count"));
    switch (kind) {
      case UDP_SEQ_SEND:
        return new UdpSeqSender(
            Frames.parseIpv4(id.get("peer")),
            port,
            flow,
            Integer.parseInt(id.get("rate")),
            count,
            Integer.parseInt(id.get("udp-bytes")));
      case UDP_SEQ_RECV:
        return new UdpSeqReceiver(port, flow, count);
      case ECHO:
        return new EchoResponder(port);
      default:
        return new SimWorkload.Idle();
    }
  }

  /** The whole migration stream: envelope around the body. */
  byte[] encode() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeInt(identity.size());
      for (Map.Entry<String, String> e : identity.entrySet()) {
        out.writeUTF(e.getKey());
        out.writeUTF(e.getValue());
      }
      out.writeUTF(savedState.qmpName());
      out.writeLong(clockNs);
      out.writeLong(nextReportNs);
      net.save(out);
      workload.save(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a byte array does not fail
    }
    return StateCodec.wrap(bytes.toByteArray());
  }

  /** Reads a migration stream; throws saying what is wrong when it is not an intact image. */
  static GuestMemory decode(byte[] stream) throws SimImageException {
    byte[] body = StateCodec.unwrap(stream);
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(body))) {
      int n = StateCodec.count(in, 64, "identity entries");
      Map<String, String> identity = new LinkedHashMap<>();
      for (int i = 0; i < n; i++) {
        identity.put(in.readUTF(), in.readUTF());
      }
      for (String key : MUST_MATCH) {
        if (!identity.containsKey(key)) {
          throw new SimImageException("the image has no '" + key + "' in its identity");
        }
      }
      GuestMemory memory;
      try {
        memory = new GuestMemory(identity);
      } catch (IllegalArgumentException e) {
        throw new SimImageException("the image's identity is invalid: " + e.getMessage());
      }
      String state = in.readUTF();
      if (!state.equals("running") && !state.equals("paused")) {
        throw new SimImageException("the image's run state '" + state + "' is not running/paused");
      }
      memory.savedState = RunState.fromQmpName(state);
      memory.clockNs = in.readLong();
      memory.nextReportNs = in.readLong();
      memory.net.load(in);
      memory.workload.load(in);
      if (in.available() != 0) {
        throw new SimImageException(
            "the image has " + in.available() + " bytes after the workload state");
      }
      return memory;
    } catch (EOFException e) {
      throw new SimImageException("the image body ends before its last section");
    } catch (SimImageException e) {
      throw e;
    } catch (IOException e) {
      throw new SimImageException("the image body is unreadable: " + e);
    }
  }

  /** Throws when this image was saved by a guest with other settings than {@code options}. */
  void checkLoadableBy(SimGuestOptions options) throws SimImageException {
    Map<String, String> ours = identityOf(options);
    for (String key : MUST_MATCH) {
      if (!ours.get(key).equals(identity.get(key))) {
        throw new SimImageException(
            "the image was saved by a guest with --"
                + key
                + " '"
                + identity.get(key)
                + "' but this guest has '"
                + ours.get(key)
                + "'; start it with the image's settings");
      }
    }
  }
}
