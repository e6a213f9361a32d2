package org.vccp.vnet.control;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * {@link ProcessPriority#setNice} in a JVM of its own (it changes the whole process): every thread
 * there before the call and every thread started after it runs at the new nice value.
 */
@EnabledOnOs(OS.LINUX)
class ProcessPriorityTest {
  /** The child: sets the nice value given, starts a thread, prints each thread's nice value. */
  public static final class Child {
    public static void main(String[] args) throws Exception {
      Thread before = new Thread(Child::sleep, "before");
      before.setDaemon(true);
      before.start();
      try {
        ProcessPriority.setNice(Integer.parseInt(args[0]));
      } catch (IOException e) {
        System.out.println("error " + e.getMessage());
        return;
      }
      Thread after = new Thread(Child::sleep, "after");
      after.setDaemon(true);
      after.start();
      Thread.sleep(200);
      try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
        for (Path t : tasks) {
          String name = Files.readString(t.resolve("comm")).strip();
          long tid = Long.parseLong(t.getFileName().toString());
          System.out.println("nice " + ProcessPriority.niceOf(tid) + " " + name);
        }
      }
    }

    private static void sleep() {
      try {
        Thread.sleep(60_000);
      } catch (InterruptedException e) {
        // exit
      }
    }
  }

  private static List<String> runChild(int nice) throws Exception {
    String java = ProcessHandle.current().info().command().orElse("java");
    Process p =
        new ProcessBuilder(
                java,
                "-cp",
                System.getProperty("java.class.path"),
                Child.class.getName(),
                Integer.toString(nice))
            .redirectErrorStream(true)
            .start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("child finished").isTrue();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    List<String> lines = new ArrayList<>(out.lines().toList());
    assertThat(p.exitValue()).as(out).isZero();
    return lines;
  }

  /** Lowering the priority is always allowed: a value above this JVM's own. */
  @Test
  void everyThreadBeforeAndAfterRunsAtTheNewNiceValue() throws Exception {
    int own = ProcessPriority.niceOf(ProcessHandle.current().pid());
    int lower = Math.min(19, own + 3);
    List<String> lines = runChild(lower);
    assertThat(lines).contains("nice " + lower + " before", "nice " + lower + " after");
    assertThat(lines.stream().filter(l -> l.startsWith("nice ")))
        .hasSizeGreaterThan(5)
        .allMatch(l -> l.startsWith("nice " + lower + " "));
  }

  /**
   * Raising it needs CAP_SYS_NICE (or an RLIMIT_NICE that allows it): either every thread gets it,
   * or the child says in one line which thread refused and why, and nothing else happened.
   */
  @Test
  void aHigherPriorityIsSetEverywhereOrRefusedWithTheReason() throws Exception {
    int own = ProcessPriority.niceOf(ProcessHandle.current().pid());
    int higher = Math.max(-20, own - 4);
    List<String> lines = runChild(higher);
    if (lines.stream().anyMatch(l -> l.startsWith("error "))) {
      assertThat(lines)
          .singleElement()
          .asString()
          .matches("error cannot set nice " + higher + " on thread \\d+: .*(ermission|ccess).*");
    } else {
      assertThat(lines).contains("nice " + higher + " before", "nice " + higher + " after");
      assertThat(lines.stream().filter(l -> l.startsWith("nice ")))
          .allMatch(l -> l.startsWith("nice " + higher + " "));
    }
  }

  @Test
  void aValueOutsideMinus20To19IsRefused() {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> ProcessPriority.setNice(20))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("nice must be -20..19, got 20");
  }
}
