package org.vccp.checkpoint.verify;

/** How much a finding matters: errors make {@code vccp verify} exit 1, the rest are reported. */
public enum Severity {
  ERROR,
  WARNING,
  INFO
}
