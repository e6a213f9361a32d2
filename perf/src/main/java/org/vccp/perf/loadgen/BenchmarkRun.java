package org.vccp.perf.loadgen;

/**
 * One workload against one peer: the generator's result plus what was measured of the peer, or why
 * the run failed.
 *
 * @param peer the peer's name, e.g. {@code vccp}
 * @param workload the spec's label
 * @param result the generator's measurements; null when the run failed
 * @param peerRssKib the peer process's VmRSS at the end of the run, -1 when unknown
 * @param cpu cores used on average during the generator run; null when the run failed
 * @param error why the run failed; null when it succeeded
 */
public record BenchmarkRun(
    String peer,
    String workload,
    LoadResult result,
    long peerRssKib,
    CpuSample.Usage cpu,
    String error) {

  static BenchmarkRun succeeded(
      String peer, LoadResult result, long peerRssKib, CpuSample.Usage cpu) {
    return new BenchmarkRun(peer, result.spec().label(), result, peerRssKib, cpu, null);
  }

  static BenchmarkRun failed(String peer, LoadSpec spec, String error) {
    return new BenchmarkRun(peer, spec.label(), null, -1, null, error);
  }

  public boolean ok() {
    return error == null;
  }
}
