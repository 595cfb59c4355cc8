package fincloud.shared;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.function.Supplier;

/**
 * A private key kept in a file, never in the database: read from where the operator put it (a
 * mounted secret), or generated once into the node's data folder, readable by its owner only
 * (mode 0600). Blocking: file I/O.
 */
public final class KeyFile {
  private KeyFile() {
  }

  /** The file's text; a missing file is an error naming the setting that pointed at it. */
  public static String read(Path file, String setting) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException missing) {
      throw new IllegalArgumentException(setting + " names a key file that does not exist: " + file);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read the key file " + file + " (" + setting + ")", e);
    }
  }

  /** The file's text, written first from {@code generate} when there is no file yet. */
  public static String readOrCreate(Path file, Supplier<String> generate) {
    try {
      if (!Files.exists(file)) {
        Path folder = file.toAbsolutePath().getParent();
        Files.createDirectories(folder);
        Path temporary = Files.createTempFile(folder, ".key", ".tmp");
        try {
          restrict(temporary);
          Files.writeString(temporary, generate.get(), StandardCharsets.UTF_8);
          moveUnlessPresent(temporary, file);
        } finally {
          Files.deleteIfExists(temporary);
        }
      }
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read or create the key file " + file, e);
    }
  }

  /** Replaces the file's text atomically (mode 0600): a key set that grew (a demo cluster's agreed key). */
  public static void replace(Path file, String text) {
    try {
      Path folder = file.toAbsolutePath().getParent();
      Files.createDirectories(folder);
      Path temporary = Files.createTempFile(folder, ".key", ".tmp");
      try {
        restrict(temporary);
        Files.writeString(temporary, text, StandardCharsets.UTF_8);
        Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } finally {
        Files.deleteIfExists(temporary);
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot replace the key file " + file, e);
    }
  }

  /** Two nodes starting on one folder at once: the first key written wins, the other is dropped. */
  private static void moveUnlessPresent(Path temporary, Path file) throws IOException {
    try {
      Files.createLink(file, temporary);
    } catch (FileAlreadyExistsException raced) {
      // another process created it first: use theirs
    } catch (UnsupportedOperationException | IOException noLinks) {
      if (!Files.exists(file)) {
        try {
          Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
          Files.move(temporary, file);
        }
      }
    }
  }

  private static void restrict(Path file) {
    try {
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    } catch (UnsupportedOperationException | IOException notPosix) {
      // not a POSIX file system: the folder's own protection applies
    }
  }
}
