/**
 * Streaming readers of pcapng and classic pcap files. {@link
 * org.vccp.checkpoint.verify.capture.CaptureReader} is a pull interface: {@code next()} reads one
 * block into a reusable window of the file and the accessors describe the packet in place, so
 * reading makes no object per packet. Every length and offset is checked before use; bad input
 * becomes a {@link org.vccp.checkpoint.verify.capture.CaptureFormatException} naming the file and
 * the byte offset of the offending block, never an index error.
 */
package org.vccp.checkpoint.verify.capture;
