package org.vccp.checkpoint.store;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.commons.io.file.PathUtils;

/**
 * The checkpoint store: {@code ckpt-NNNNNN/} directories, each committed by its {@code
 * MANIFEST.json} (written to a temporary name, fsynced, renamed, directory fsynced), and {@code
 * ckpt-NNNNNN.partial/} directories that are in progress or abandoned and never restorable.
 */
public final class CheckpointStore {
  public static final String MANIFEST = "MANIFEST.json";
  private static final Pattern COMMITTED = Pattern.compile("ckpt-(\\d{6})");
  private static final Pattern ANY = Pattern.compile("ckpt-(\\d{6})(\\.partial)?");

  private final Path root;
  private final ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  public CheckpointStore(Path root) {
    this.root = root.toAbsolutePath();
  }

  public Path root() {
    return root;
  }

  public ObjectMapper json() {
    return json;
  }

  /** A committed checkpoint: its directory and manifest. */
  public record Committed(Path dir, Manifest manifest) {
    public String name() {
      return dir.getFileName().toString();
    }
  }

  /** The highest epoch {@link #nextEpoch} has returned. */
  private long lastIssuedEpoch;

  /** Creates the directory of the next epoch's partial checkpoint. */
  public synchronized Path begin(long epoch) throws IOException {
    Files.createDirectories(root);
    Path dir = root.resolve(String.format("ckpt-%06d.partial", epoch));
    if (Files.exists(dir)) {
      deleteTree(dir);
    }
    return Files.createDirectory(dir);
  }

  /**
   * The epoch after every checkpoint, committed or partial, in the store, and after every epoch
   * this store has handed out: an aborted epoch's directory is gone, but an agent that has not yet
   * heard of the abort may still be writing under its number, so the number is never reused.
   */
  public synchronized long nextEpoch() throws IOException {
    long max = lastIssuedEpoch;
    if (Files.isDirectory(root)) {
      try (Stream<Path> s = Files.list(root)) {
        for (Path p : (Iterable<Path>) s::iterator) {
          Matcher m = ANY.matcher(p.getFileName().toString());
          if (m.matches()) {
            max = Math.max(max, Long.parseLong(m.group(1)));
          }
        }
      }
    }
    lastIssuedEpoch = max + 1;
    return lastIssuedEpoch;
  }

  /**
   * Commits a partial checkpoint: writes the manifest durably, then renames the directory to its
   * committed name. Returns the committed directory.
   */
  public synchronized Path commit(Path partial, Manifest manifest) throws IOException {
    Path tmp = partial.resolve(MANIFEST + ".tmp");
    try (FileChannel ch =
        FileChannel.open(
            tmp,
            StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE)) {
      ch.write(java.nio.ByteBuffer.wrap(json.writeValueAsBytes(manifest)));
      ch.force(true);
    }
    for (Manifest.FileRef f : manifest.files()) {
      try (FileChannel ch = FileChannel.open(partial.resolve(f.file()), StandardOpenOption.WRITE)) {
        ch.force(true);
      }
    }
    move(tmp, partial.resolve(MANIFEST));
    fsyncDirectory(partial);
    Path committed = root.resolve(String.format("ckpt-%06d", manifest.epoch()));
    move(partial, committed);
    fsyncDirectory(root);
    return committed;
  }

  private static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to);
    }
  }

  private static void fsyncDirectory(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException e) {
      // some file systems refuse to open a directory for fsync; the rename is still atomic
    }
  }

  /**
   * Deletes a partial (aborted) checkpoint directory. An agent that has not yet heard of the abort
   * may still be saving into it and add a file while the tree is being deleted; commons-io then
   * leaves the directory in place (it removes only empty ones), so this goes again until the
   * directory is gone (a full test run once found it still there). Once it is gone, late writes
   * fail: nothing re-creates it.
   */
  public synchronized void discard(Path partial) {
    try {
      for (int attempt = 1; Files.exists(partial); attempt++) {
        try {
          deleteTree(partial);
        } catch (java.nio.file.DirectoryNotEmptyException | java.nio.file.NoSuchFileException e) {
          // a file appeared (or went) during the walk: go again
        }
        if (Files.exists(partial)) {
          if (attempt == DISCARD_ATTEMPTS) {
            throw new IOException("files kept appearing in it while it was deleted");
          }
          Thread.sleep(20);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + partial, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while deleting " + partial, e);
    }
  }

  private static final int DISCARD_ATTEMPTS = 50;

  /** Committed checkpoints, oldest first. Directories without a readable manifest are skipped. */
  public synchronized List<Committed> list() throws IOException {
    List<Committed> out = new ArrayList<>();
    if (!Files.isDirectory(root)) {
      return out;
    }
    List<Path> dirs;
    try (Stream<Path> s = Files.list(root)) {
      dirs =
          s.filter(p -> COMMITTED.matcher(p.getFileName().toString()).matches())
              .sorted(Comparator.comparing(Path::getFileName))
              .toList();
    }
    for (Path d : dirs) {
      Path m = d.resolve(MANIFEST);
      if (Files.isRegularFile(m)) {
        try {
          out.add(new Committed(d, readManifest(d)));
        } catch (CheckpointRefusedException e) {
          // listed by `vccp checkpoints` as unreadable; never restored
        }
      }
    }
    return out;
  }

  public Optional<Committed> latest() throws IOException {
    List<Committed> all = list();
    return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
  }

  /** Opens a committed checkpoint by name ({@code ckpt-000007}), epoch number, or path. */
  public Committed open(String which) throws IOException {
    Path dir;
    if (which.matches("\\d+")) {
      dir = root.resolve(String.format("ckpt-%06d", Long.parseLong(which)));
    } else if (which.contains("/")) {
      dir = Path.of(which).toAbsolutePath();
    } else {
      dir = root.resolve(which);
    }
    if (dir.getFileName().toString().endsWith(".partial")) {
      throw new CheckpointRefusedException(
          dir + " is a partial checkpoint (never committed); pick one from `vccp checkpoints`");
    }
    if (!Files.isDirectory(dir)) {
      throw new CheckpointRefusedException("no checkpoint " + dir + "; see `vccp checkpoints`");
    }
    return new Committed(dir, readManifest(dir));
  }

  private Manifest readManifest(Path dir) {
    Path m = dir.resolve(MANIFEST);
    if (!Files.isRegularFile(m)) {
      throw new CheckpointRefusedException(
          dir + " has no " + MANIFEST + ": it was never committed");
    }
    Manifest manifest;
    try {
      manifest = json.readValue(m.toFile(), Manifest.class);
    } catch (IOException e) {
      throw new CheckpointRefusedException(m + " is not a readable manifest: " + e.getMessage());
    }
    if (!Manifest.FORMAT.equals(manifest.format())) {
      throw new CheckpointRefusedException(
          m + " has format '" + manifest.format() + "', expected " + Manifest.FORMAT);
    }
    return manifest;
  }

  /**
   * Checks every file the manifest names: inside the directory, present, of the recorded size and
   * SHA-256. Throws naming the first file that is wrong; touches nothing.
   */
  public static void verify(Committed c) throws IOException {
    for (Manifest.FileRef f : c.manifest().files()) {
      Path p = c.dir().resolve(f.file()).normalize();
      if (!p.getParent().equals(c.dir().normalize()) || f.file().contains("/")) {
        throw new CheckpointRefusedException(
            c.name() + ": manifest names '" + f.file() + "', which is outside the checkpoint");
      }
      if (!Files.isRegularFile(p)) {
        throw new CheckpointRefusedException(c.name() + ": " + f.file() + " is missing");
      }
      long size = Files.size(p);
      if (size != f.bytes()) {
        throw new CheckpointRefusedException(
            c.name() + ": " + f.file() + " has " + size + " bytes, manifest says " + f.bytes());
      }
      String sha = Sha256.of(p);
      if (!sha.equals(f.sha256())) {
        throw new CheckpointRefusedException(
            c.name()
                + ": "
                + f.file()
                + " is corrupt (SHA-256 "
                + sha.substring(0, 12)
                + "…, manifest says "
                + f.sha256().substring(0, Math.min(12, f.sha256().length()))
                + "…)");
      }
    }
  }

  /** Deletes committed checkpoints beyond the newest {@code keep}, and every partial one. */
  public synchronized List<String> retain(int keep) throws IOException {
    List<String> removed = new ArrayList<>();
    List<Committed> all = list();
    for (int i = 0; i < all.size() - keep; i++) {
      deleteTree(all.get(i).dir());
      removed.add(all.get(i).name());
    }
    removed.addAll(cleanPartials());
    return removed;
  }

  /** Deletes every partial checkpoint directory (debris of aborted or interrupted epochs). */
  public synchronized List<String> cleanPartials() throws IOException {
    List<String> removed = new ArrayList<>();
    if (!Files.isDirectory(root)) {
      return removed;
    }
    try (Stream<Path> s = Files.list(root)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        if (p.getFileName().toString().matches("ckpt-\\d{6}\\.partial")) {
          deleteTree(p);
          removed.add(p.getFileName().toString());
        }
      }
    }
    return removed;
  }

  private static void deleteTree(Path dir) throws IOException {
    if (Files.exists(dir)) {
      PathUtils.deleteDirectory(dir);
    }
  }
}
