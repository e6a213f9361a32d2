package org.vccp.checkpoint.verify.capture;

import java.io.IOException;
import java.nio.file.Path;

/**
 * What {@link PcapReader} and {@link PcapngReader} share: the file window they read through and the
 * current record's place and bytes, which {@link #next} of each format fills in.
 */
abstract class WindowedCaptureReader implements CaptureReader {
  protected final FileWindow in;
  protected long frameNumber;
  protected long blockOffset;
  protected long timestampNs;
  protected int dataOffset;
  protected int capturedLength;
  protected int originalLength;

  protected WindowedCaptureReader(FileWindow in) {
    this.in = in;
  }

  @Override
  public final Path path() {
    return in.path();
  }

  @Override
  public final long size() {
    return in.size();
  }

  @Override
  public final long position() {
    return in.offset();
  }

  @Override
  public final long frameNumber() {
    return frameNumber;
  }

  @Override
  public final long blockOffset() {
    return blockOffset;
  }

  @Override
  public final long timestampNs() {
    return timestampNs;
  }

  @Override
  public final byte[] array() {
    return in.array();
  }

  @Override
  public final int dataOffset() {
    return dataOffset;
  }

  @Override
  public final int capturedLength() {
    return capturedLength;
  }

  @Override
  public final int originalLength() {
    return originalLength;
  }

  @Override
  public final void close() throws IOException {
    in.close();
  }
}
