package org.vccp.vnet.control;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Sets the scheduling priority (nice value) of every thread of this process, and so of every thread
 * they start later (Linux threads inherit their creator's). On Linux {@code setpriority} and {@code
 * renice} act on one thread only, so each task in {@code /proc/self/task} is set in turn. libc
 * through JNA, which pcap4j brings.
 */
public final class ProcessPriority {
  private static final int PRIO_PROCESS = 0;
  private static final int MAX_PASSES = 5;
  private static final String UNAVAILABLE;

  static {
    String why = null;
    try {
      if (!Platform.isLinux()) {
        why = "setting thread priorities needs Linux";
      } else {
        Native.register(ProcessPriority.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
      }
    } catch (RuntimeException | LinkageError e) {
      why = "cannot reach libc through JNA: " + e;
    }
    UNAVAILABLE = why;
  }

  private ProcessPriority() {}

  private static native int setpriority(int which, int who, int prio);

  private static native String strerror(int errno);

  /**
   * Gives every thread of this process the nice value {@code nice} (-20..19).
   *
   * @throws IOException naming the thread and the reason (raising priority needs root or
   *     CAP_SYS_NICE)
   */
  public static void setNice(int nice) throws IOException {
    if (nice < -20 || nice > 19) {
      throw new IllegalArgumentException("nice must be -20..19, got " + nice);
    }
    if (UNAVAILABLE != null) {
      throw new IOException(UNAVAILABLE);
    }
    // a thread started during a pass by one not yet set may keep the old value: pass again until
    // one finds nothing to change
    for (int pass = 0; pass < MAX_PASSES && setEveryTask(nice) > 0; pass++) {
      // next pass
    }
  }

  /** Sets {@code nice} on every task not already at it; returns how many were changed. */
  private static int setEveryTask(int nice) throws IOException {
    int changed = 0;
    try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
      for (Path task : tasks) {
        int tid = Integer.parseInt(task.getFileName().toString());
        int now;
        try {
          now = niceOf(tid);
        } catch (IOException | RuntimeException e) {
          continue; // the thread ended meanwhile
        }
        if (now == nice) {
          continue;
        }
        if (setpriority(PRIO_PROCESS, tid, nice) != 0) {
          int errno = Native.getLastError();
          if (errno == 3) {
            continue; // ESRCH: the thread ended meanwhile
          }
          throw new IOException(
              "cannot set nice " + nice + " on thread " + tid + ": " + strerror(errno));
        }
        changed++;
      }
    }
    return changed;
  }

  /** The nice value of thread {@code tid} of this process, from {@code /proc}. */
  public static int niceOf(long tid) throws IOException {
    String stat = Files.readString(Path.of("/proc/self/task/" + tid + "/stat"));
    // fields after the command (which may hold spaces) start after the last ')'
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
    return Integer.parseInt(f[16]); // field 19 of stat; f[0] is field 3
  }
}
