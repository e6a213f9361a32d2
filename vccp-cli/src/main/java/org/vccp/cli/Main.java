package org.vccp.cli;

/** Entry point of the {@code vccp} command. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    System.out.println("vccp");
  }
}
