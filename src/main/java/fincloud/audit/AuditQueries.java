package fincloud.audit;

import fincloud.privacy.DataKeys;
import fincloud.shared.Answer;
import fincloud.shared.ErrorCode;
import fincloud.shared.ReservedTenants;
import fincloud.shared.Page;
import fincloud.shared.RequestContext;
import fincloud.shared.ServiceException;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlClient;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * The audit service's answers: the event page, verification, the public keys and the ranges the
 * gateway streams (export and live stream). Query parameters arrive as the client sent them and
 * are validated here; every caller reads only its own tenant's chain, and the {@code _system}
 * chain needs the admin scope.
 */
final class AuditQueries {
  /** The chain of failed authentications whose client is unknown. */
  static final String SYSTEM_CHAIN = ReservedTenants.SYSTEM;
  static final int RANGE_LIMIT = 1000;

  private static final long MAX_SEQ = 9007199254740991L;
  /** Checkpoints a caller may supply to one verification, and the length of one. */
  private static final int MAX_SUPPLIED_CHECKPOINTS = 100;
  private static final int MAX_JWS_CHARS = 2048;
  private static final Pattern DIGITS = Pattern.compile("[0-9]{1,16}");

  private final AuditLog log;
  private final CheckpointKeys keys;
  private final Function<String, String> witness;
  private final FullVerifications full;
  private final QuickVerify quick;
  private final InclusionProofs proofs;
  private final DataKeys dataKeys;
  private final SqlClient pool;

  /** @param witness the newest checkpoint this node signed for a chain, or null */
  AuditQueries(AuditLog log, CheckpointKeys keys, Function<String, String> witness, FullVerifications full,
      InclusionProofs proofs, DataKeys dataKeys, SqlClient pool) {
    this.dataKeys = dataKeys;
    this.pool = pool;
    this.log = log;
    this.proofs = proofs;
    this.keys = keys;
    this.witness = witness;
    this.full = full;
    this.quick = new QuickVerify(log, keys, full, QuickVerify.INLINE_RECORDS);
  }

  Future<Answer> events(RequestContext caller, JsonObject request) {
    JsonObject query = query(request);
    String chain = chainOf(caller, query);
    long after = seq(query, "after", 0L);
    int limit = limit(query, "limit", Page.DEFAULT_LIMIT, 1);
    String entityId = text(query, "entityId", 128);
    return log.page(chain, after, limit, entityId).compose(this::withClearData).map(Answer::ok);
  }

  /**
   * Each record's {@code data} stays exactly what its hash covers (customer fields sealed); a
   * record with sealed fields also gets {@code clearData}, the same with those fields in clear
   * (null, or {} for metadata, once the account was erased), for the tenant's auditors.
   */
  private Future<JsonObject> withClearData(JsonObject page) {
    return dataKeys.reveal(pool, page).map(revealed -> {
      JsonArray items = page.getJsonArray("items");
      JsonArray clear = revealed.getJsonArray("items");
      for (int i = 0; i < items.size(); i++) {
        JsonObject record = items.getJsonObject(i);
        Object clearData = clear.getJsonObject(i).getValue("data");
        if (!java.util.Objects.equals(clearData, record.getValue("data"))) {
          record.put("clearData", clearData);
        }
      }
      return page;
    });
  }

  /** One record's inclusion proof under its window's checkpoint ({@link InclusionProofs}). */
  Future<Answer> proof(RequestContext caller, JsonObject request) {
    String chain = chainOf(caller, query(request));
    JsonObject path = request.getJsonObject("path");
    long seq = seq(path == null ? new JsonObject() : path, "seq", 0L);
    if (seq < 1) {
      throw invalid("seq", "seq must be an integer from 1 to " + MAX_SEQ);
    }
    return proofs.proof(chain, seq).map(Answer::ok);
  }

  /**
   * The verdict on the chain, checked also against this node's witness and, on a POST, against the
   * checkpoints the caller kept ({@code {"checkpoints":[jws, ...]}}).
   */
  Future<Answer> verify(RequestContext caller, JsonObject request) {
    String chain = chainOf(caller, query(request));
    return quick.verify(chain, witnesses(chain, supplied(request.getJsonObject("body")))).map(Answer::ok);
  }

  /** Starts a full verification of the chain in the background (or answers the one running). */
  Future<Answer> startFullVerification(RequestContext caller, JsonObject request) {
    String chain = chainOf(caller, query(request));
    return full.start(chain, () -> witnesses(chain, List.of())).map(job -> new Answer(202, job, false));
  }

  /** The chain's newest full verification and its progress. */
  Future<Answer> fullVerification(RequestContext caller, JsonObject request) {
    String chain = chainOf(caller, query(request));
    return full.latest(chain).map(job -> job != null ? Answer.ok(job) : Answer.problem(ErrorCode.NOT_FOUND,
        "no full verification of this chain yet: POST /v1/audit/full-verification starts one", caller.requestId()));
  }

  /** The checkpoints of the chain kept outside the database (this node's witness). */
  List<String> witnesses(String chain) {
    return witnesses(chain, List.of());
  }

  private List<String> witnesses(String chain, List<String> supplied) {
    List<String> witnesses = new ArrayList<>(supplied);
    String witnessed = witness.apply(chain);
    if (witnessed != null) {
      witnesses.add(witnessed);
    }
    return witnesses;
  }

  /** The chain's signed checkpoints after {@code after}, oldest first: {@code {"items","nextAfter"}}. */
  Future<Answer> checkpoints(RequestContext caller, JsonObject request) {
    JsonObject query = query(request);
    String chain = chainOf(caller, query);
    return log.checkpoints(chain, seq(query, "after", 0L), limit(query, "limit", Page.DEFAULT_LIMIT, 1))
        .map(Answer::ok);
  }

  private static List<String> supplied(JsonObject body) {
    Object given = body == null ? null : body.getValue("checkpoints");
    if (given == null) {
      return List.of();
    }
    if (!(given instanceof JsonArray array) || array.size() > MAX_SUPPLIED_CHECKPOINTS
        || !array.stream().allMatch(jws -> jws instanceof String text && text.length() <= MAX_JWS_CHARS)) {
      throw invalid("checkpoints", "checkpoints must be a list of at most " + MAX_SUPPLIED_CHECKPOINTS
          + " compact JWS strings");
    }
    return array.stream().map(String.class::cast).toList();
  }

  Future<Answer> keys(RequestContext caller, JsonObject request) {
    return log.keyUse(chainOf(caller, query(request))).map(use -> Answer.ok(keys.publicJwkSet(use)));
  }

  /**
   * A slice of a chain for the gateway's streams: {@code from} (default 1), {@code to} (default
   * the head), {@code since}/{@code until} (ISO-8601 instants on {@code at}), {@code limit} (0 to
   * only learn the head).
   */
  Future<Answer> range(RequestContext caller, JsonObject request) {
    JsonObject query = query(request);
    String chain = chainOf(caller, query);
    long from = seq(query, "from", 1L);
    Long to = query.getValue("to") == null ? null : seq(query, "to", 1L);
    if (from < 1 || (to != null && to < 1)) {
      throw invalid(from < 1 ? "from" : "to", "from and to are seqs, from 1");
    }
    if (to != null && to < from) {
      throw invalid("to", "to must not be less than from");
    }
    Instant since = instant(query, "since");
    Instant until = instant(query, "until");
    int limit = limit(query, "limit", RANGE_LIMIT, 0);
    return log.range(chain, from, to, since, until, limit).compose(this::withClearData).map(Answer::ok);
  }

  /**
   * The chain a caller may read: its own tenant's, or {@code _system} for the platform operator
   * only (failed logins of every tenant, with addresses and the client ids people typed: no
   * tenant's admin may read them).
   */
  static String chainOf(RequestContext caller, JsonObject query) {
    String asked = text(query, "tenant", 64);
    if (asked == null || asked.equals(caller.tenant())) {
      return caller.tenant();
    }
    if (asked.equals(SYSTEM_CHAIN)) {
      if (!caller.hasScope(ReservedTenants.OPERATOR_SCOPE) || !caller.tenant().equals(ReservedTenants.PLATFORM)) {
        throw new ServiceException(ErrorCode.FORBIDDEN, "the _system audit chain is the platform operator's (scope "
            + ReservedTenants.OPERATOR_SCOPE + ")");
      }
      return SYSTEM_CHAIN;
    }
    throw new ServiceException(ErrorCode.NOT_FOUND, "no audit chain " + asked + " for this caller");
  }

  private static JsonObject query(JsonObject request) {
    JsonObject query = request.getJsonObject("query");
    return query == null ? new JsonObject() : query;
  }

  private static long seq(JsonObject query, String name, long fallback) {
    Object value = query.getValue(name);
    if (value == null) {
      return fallback;
    }
    String text = value.toString();
    if (!DIGITS.matcher(text).matches() || Long.parseLong(text) > MAX_SEQ) {
      throw invalid(name, name + " must be an integer from 0 to " + MAX_SEQ);
    }
    return Long.parseLong(text);
  }

  private static int limit(JsonObject query, String name, int fallback, int min) {
    Object value = query.getValue(name);
    if (value == null) {
      return fallback;
    }
    String text = value.toString();
    int max = min == 0 ? RANGE_LIMIT : Page.MAX_LIMIT;
    if (!text.matches("[0-9]{1,4}") || Integer.parseInt(text) < min || Integer.parseInt(text) > max) {
      throw invalid(name, name + " must be an integer from " + min + " to " + max);
    }
    return Integer.parseInt(text);
  }

  private static String text(JsonObject query, String name, int maxLength) {
    Object value = query.getValue(name);
    if (value == null) {
      return null;
    }
    String text = value.toString();
    if (text.isEmpty() || text.length() > maxLength) {
      throw invalid(name, name + " must be 1 to " + maxLength + " characters");
    }
    return text;
  }

  private static Instant instant(JsonObject query, String name) {
    String text = text(query, name, 64);
    if (text == null) {
      return null;
    }
    try {
      return OffsetDateTime.parse(text).toInstant();
    } catch (DateTimeParseException e) {
      throw invalid(name, name + " must be an ISO-8601 date-time with an offset, e.g. 2026-11-26T11:14:47Z");
    }
  }

  private static ServiceException invalid(String field, String detail) {
    return new ServiceException(ErrorCode.VALIDATION_FAILED, detail, new JsonObject().put("field", field));
  }
}
