package fincloud.audit;

import fincloud.shared.CanonicalWriter;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A record's hash, {@code SHA-256(prevHash || canonical JSON of its eleven fields)}: the eleven
 * keys in their canonical (sorted) order around values that {@link CanonicalWriter} writes, all
 * as UTF-8 into one buffer kept per thread, with its digest; no JSON tree and no copy of the text
 * per record, as a full verification hashes every record of the chain. {@code RecordHashTest}
 * holds it to the canonical form as Jackson writes it.
 */
final class RecordHash {
  private static final HexFormat HEX = HexFormat.of();
  private static final ThreadLocal<RecordHash> PER_THREAD = ThreadLocal.withInitial(RecordHash::new);

  private final MessageDigest sha;
  private final CanonicalWriter out = new CanonicalWriter();

  private RecordHash() {
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JVM has no SHA-256", e);
    }
  }

  /** The hash the record should carry given its own {@code prevHash}. */
  static String of(ChainRecord r) {
    return PER_THREAD.get().hash(r);
  }

  private String hash(ChainRecord r) {
    out.reset().raw(r.prevHash())
        .ascii("{\"action\":").string(r.action())
        .ascii(",\"actor\":").string(r.actor())
        .ascii(",\"at\":").string(r.at())
        .ascii(",\"data\":").value(r.data())
        .ascii(",\"entityId\":").string(r.entityId())
        .ascii(",\"entityType\":").string(r.entityType())
        .ascii(",\"origin\":").string(r.origin())
        .ascii(",\"requestId\":").string(r.requestId())
        .ascii(",\"seq\":").ascii(Long.toString(r.seq()))
        .ascii(r.success() ? ",\"success\":true" : ",\"success\":false")
        .ascii(",\"tenant\":").string(r.tenant())
        .ascii("}");
    sha.update(out.buffer(), 0, out.length());
    return HEX.formatHex(sha.digest());
  }
}
