package fincloud.audit;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The newest checkpoint per chain that this node signed or learned from the cluster's other nodes
 * ({@link #learn}), kept where the database's owner cannot edit it: in memory and in a file of the
 * node's data folder ({@code audit-witness.json}, one JWS per chain), read again when a node
 * restarts on the same folder. Deleting checkpoint rows or
 * rewriting the chain under them then still shows: the witnessed checkpoint is missing from the
 * database, or the chain no longer has its hash at its seq.
 */
final class Witness {
  static final String FILE_NAME = "audit-witness.json";
  private static final Logger LOG = LoggerFactory.getLogger(Witness.class);

  private final Path file;
  private final Map<String, String> newest = new ConcurrentHashMap<>();
  private final Map<String, Long> seqs = new ConcurrentHashMap<>();

  private Witness(Path file) {
    this.file = file;
  }

  /** A witness that lives as long as the process (tests of the sealer alone). */
  static Witness inMemory() {
    return new Witness(null);
  }

  /**
   * Reads the witness file of a data folder (a missing file is an empty witness); only checkpoints
   * a trusted key signed are kept. Blocking: file I/O.
   */
  static Witness load(Path dataDir, CheckpointKeys keys) {
    Witness witness = new Witness(dataDir.resolve(FILE_NAME));
    try {
      if (Files.exists(witness.file)) {
        JsonObject stored = new JsonObject(Files.readString(witness.file, StandardCharsets.UTF_8));
        stored.forEach(entry -> {
          JsonObject payload = entry.getValue() instanceof String jws ? keys.verify(jws) : null;
          if (payload != null && entry.getKey().equals(payload.getString("tenant"))) {
            witness.keep(entry.getKey(), (String) entry.getValue(), payload.getLong("seq"));
          } else {
            LOG.error("the audit witness {} holds a checkpoint for chain {} that no trusted key signed: ignored",
                witness.file, entry.getKey());
          }
        });
      }
    } catch (IOException | RuntimeException e) {
      LOG.error("the audit witness {} cannot be read: starting without it ({})", witness.file, e.toString());
    }
    return witness;
  }

  /** The newest witnessed checkpoint (JWS) of the chain, or null. */
  String jws(String tenant) {
    return newest.get(tenant);
  }

  /** The seq of the newest witnessed checkpoint of the chain, 0 when there is none. */
  long seq(String tenant) {
    return seqs.getOrDefault(tenant, 0L);
  }

  /** Keeps newly committed checkpoints in memory; {@link #save} writes them to the file. */
  void remember(List<SealPlan.Checkpoint> checkpoints) {
    checkpoints.forEach(checkpoint -> keep(checkpoint.tenant(), checkpoint.jws(), checkpoint.seq()));
  }

  /**
   * A checkpoint another node of the cluster signed and published: kept, like this node's own, when
   * a trusted key signed it for the chain it names and it is newer than the one kept. Blocking:
   * verifies a signature, writes the file.
   *
   * @return whether it was kept
   */
  boolean learn(String jws, CheckpointKeys keys) {
    JsonObject payload = jws == null ? null : keys.verify(jws);
    if (payload == null || !(payload.getValue("tenant") instanceof String tenant)
        || !(payload.getValue("seq") instanceof Number seq)) {
      LOG.warn("a checkpoint published on the event bus is not one a trusted key signed: not kept");
      return false;
    }
    if (seq.longValue() <= seq(tenant)) {
      return false;
    }
    keep(tenant, jws, seq.longValue());
    save();
    return true;
  }

  /** Writes what is remembered to the file. Blocking: file I/O. */
  synchronized void save() {
    if (file != null) {
      write();
    }
  }

  private synchronized void keep(String tenant, String jws, long seq) {
    if (seq >= seq(tenant)) {
      seqs.put(tenant, seq);
      newest.put(tenant, jws);
    }
  }

  /** Whole file or nothing: a crash while writing leaves the previous witness. */
  private void write() {
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      Path temporary = Files.createTempFile(file.toAbsolutePath().getParent(), ".audit-witness", ".tmp");
      JsonObject content = new JsonObject();
      newest.forEach(content::put);
      Files.writeString(temporary, content.encodePrettily(), StandardCharsets.UTF_8);
      try {
        Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      LOG.error("the audit witness {} cannot be written (kept in memory only): {}", file, e.toString());
    }
  }
}
