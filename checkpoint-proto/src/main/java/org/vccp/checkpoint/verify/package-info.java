/**
 * {@code vccp verify}: proves from packet recordings that the network, and every checkpoint taken
 * of it, lost, duplicated and reordered nothing.
 *
 * <h2>Why it is shaped this way</h2>
 *
 * <p>Recordings are large (the switch writes two events per forwarded frame at line rate) and must
 * be checked on the machine that made them, so the analyser streams: readers in {@code capture}
 * pull one block at a time from a reusable buffer and expose the packet in place, and no check
 * keeps state per frame beyond a fixed window. A VCCP recording numbers every frame at ingress
 * ({@code epb_packetid}), so pending frames live in a ring indexed by that number ({@link
 * org.vccp.checkpoint.verify.RecordingAnalyser}); plain captures have no ids, so frames are matched
 * by content in per-channel queues ({@link org.vccp.checkpoint.verify.CaptureAnalyser}). Both feed
 * the same flow checks ({@link org.vccp.checkpoint.verify.FlowChecker}) and the same {@link
 * org.vccp.checkpoint.verify.Findings}, which counts and streams every finding to JSON.
 *
 * <p>The checkpoint checks follow the cut as the recording shows it: marks are events in the same
 * ordered stream as frames, so "before P's cut" is a position, not a timestamp. Each run is one
 * stream; a restored run is checked against the channel files that were replayed, or against the
 * channel state computed from the run it was restored from.
 *
 * <p>The exact rules, the payload formats recognised and the JSON report are in
 * docs/recording-format.md.
 */
package org.vccp.checkpoint.verify;
