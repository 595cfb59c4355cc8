package fincloud.audit;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Checks an export of a chain with nothing but the export and the published public keys, as an
 * auditor does away from FinCloud: {@code java -jar fincloud.jar audit-verify --export FILE --keys
 * FILE [--checkpoints FILE]}. The export is the NDJSON of {@code GET /v1/audit/export} (one record
 * a line, from seq 1); the keys are the JWK Set of {@code GET /v1/audit/keys}; the checkpoints,
 * optional, are pages of {@code GET /v1/audit/checkpoints} (one JSON object a line, or one JWS a
 * line). The same {@link ChainVerifier} judges as on the node: every hash and link, then every
 * checkpoint in order (signature, chain of checkpoints, the hash at its seq). Records are streamed;
 * only the hashes at checkpoint seqs are kept. With {@code --proof FILE} instead of {@code --export},
 * it checks one record's inclusion proof ({@link #verifyProof}).
 */
public final class OfflineVerifier {
  private OfflineVerifier() {
  }

  /** The verdict, as {@code GET /v1/audit/verify} words it. Blocking: file I/O. */
  public static JsonObject verify(Path export, Path keys, Path checkpoints) throws IOException {
    CheckpointKeys trusted = publishedKeys(keys);
    TreeMap<Long, String> signed = new TreeMap<>();
    if (checkpoints != null) {
      for (String jws : checkpointLines(checkpoints)) {
        JsonObject payload = trusted.verify(jws);
        long seq = payload != null && payload.getValue("seq") instanceof Number ? payload.getLong("seq") : -1;
        signed.put(seq >= 0 ? seq : jwsSeq(jws), jws);
      }
    }
    Map<Long, String> hashesAt = new HashMap<>();
    ChainVerifier verifier = null;
    try (BufferedReader lines = Files.newBufferedReader(export, StandardCharsets.UTF_8)) {
      for (String line = lines.readLine(); line != null; line = lines.readLine()) {
        if (line.isBlank()) {
          continue;
        }
        ChainRecord record = ChainRecord.fromJson(new JsonObject(line));
        verifier = verifier != null ? verifier : new ChainVerifier(record.tenant());
        verifier.accept(record);
        if (signed.containsKey(record.seq())) {
          hashesAt.put(record.seq(), record.hash());
        }
      }
    }
    if (verifier == null) {
      return new JsonObject().put("valid", false).put("reason", "the export holds no record");
    }
    for (Map.Entry<Long, String> checkpoint : signed.entrySet()) {
      JsonObject payload = trusted.verify(checkpoint.getValue());
      String chainHash = payload == null ? null : hashesAt.get(payload.getLong("seq"));
      verifier.checkpoint(checkpoint.getKey(), payload, chainHash, checkpoint.getValue());
    }
    return verifier.verdict();
  }

  /**
   * The verdict on one inclusion proof (the answer of {@code GET /v1/audit/events/{seq}/proof},
   * saved as it came): {@code {"valid","seq","checkpointSeq","reason"}}, see {@link ProofCheck}.
   * Blocking: file I/O.
   */
  public static JsonObject verifyProof(Path proof, Path keys) throws IOException {
    CheckpointKeys trusted = publishedKeys(keys);
    JsonObject answer;
    try {
      answer = new JsonObject(Files.readString(proof, StandardCharsets.UTF_8));
    } catch (RuntimeException e) {
      throw new IOException(proof + " is not a JSON object (the answer of GET /v1/audit/events/{seq}/proof)", e);
    }
    return ProofCheck.judge(answer, trusted);
  }

  /**
   * The published keys. {@link CheckpointKeys} also wants a key that signs: a fresh one, which
   * nobody else holds and which signs nothing here, so it vouches for nothing.
   */
  private static CheckpointKeys publishedKeys(Path file) throws IOException {
    try {
      List<ECKey> published = new ArrayList<>();
      JWKSet.parse(Files.readString(file, StandardCharsets.UTF_8)).getKeys().forEach(key -> {
        if (key instanceof ECKey ec) {
          published.add(ec);
        }
      });
      return new CheckpointKeys(CheckpointKeys.generate(), published);
    } catch (ParseException e) {
      throw new IOException(file + " is not a JWK Set (the answer of GET /v1/audit/keys)", e);
    }
  }

  private static List<String> checkpointLines(Path file) throws IOException {
    List<String> jws = new ArrayList<>();
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      String text = line.trim();
      if (text.startsWith("{")) {
        JsonObject object = new JsonObject(text);
        JsonArray items = object.getJsonArray("items");
        if (items == null) {
          jws.add(object.getString("jws"));
        } else {
          items.forEach(item -> jws.add(((JsonObject) item).getString("jws")));
        }
      } else if (!text.isEmpty()) {
        jws.add(text);
      }
    }
    return jws;
  }

  /** Where an untrusted checkpoint claims to be, to report it in order; 0 when unreadable. */
  private static long jwsSeq(String jws) {
    try {
      return new JsonObject(com.nimbusds.jose.JWSObject.parse(jws).getPayload().toString()).getLong("seq", 0L);
    } catch (ParseException | RuntimeException e) {
      return 0;
    }
  }
}
