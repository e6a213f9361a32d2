package org.vccp.perf;

/** Entry point of the performance tools. */
public final class PerfMain {
  private PerfMain() {}

  public static void main(String[] args) {
    System.out.println("vccp-perf");
  }
}
