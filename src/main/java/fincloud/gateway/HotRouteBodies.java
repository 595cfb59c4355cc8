package fincloud.gateway;

import fincloud.shared.Money;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Map;

/**
 * The request bodies of the hot routes (a transfer, a batch of them, posting a hold) checked by
 * hand against their schemas in {@code openapi.yaml}, which stays the contract: a body these checks
 * find clean is one the schema accepts, so it skips the generic schema walk (the top method of a
 * profile at peak). Anything else, even a body the schema would accept after all, goes to the
 * schema validator, which names the fault as it always has; so refusals cannot differ.
 * Runs after {@link RequestSchemas}' own checks (unknown fields, JSON integers, amount range,
 * currency code, metadata size), which it repeats where that costs nothing.
 */
final class HotRouteBodies {
  static final String TRANSFER = "TransferRequest";
  static final String BATCH = "BatchRequest";
  static final String POST_TRANSFER = "PostTransferRequest";
  /** TransferRequest: the account ids' maxLength, reference's maxLength, expiresInSeconds' maximum. */
  static final int MAX_ACCOUNT_ID_CHARS = 64;
  static final int MAX_REFERENCE_CHARS = 140;
  static final long MAX_EXPIRES_IN_SECONDS = 604_800;
  /** BatchRequest: maxItems of transfers. */
  static final int MAX_BATCH_ITEMS = 1000;

  private HotRouteBodies() {
  }

  /** True when the body certainly matches the schema; false means "ask the schema validator". */
  static boolean clean(String schemaName, JsonObject body) {
    return switch (schemaName) {
      case TRANSFER -> cleanTransfer(body);
      case BATCH -> cleanBatch(body);
      case POST_TRANSFER -> cleanPostTransfer(body);
      default -> false;
    };
  }

  private static boolean cleanTransfer(JsonObject transfer) {
    int required = 0;
    for (Map.Entry<String, Object> field : transfer) {
      Object value = field.getValue();
      boolean clean = switch (field.getKey()) {
        case "debitAccountId", "creditAccountId" -> {
          required++;
          // String length counts UTF-16 units, never fewer than the code points the schema counts.
          yield value instanceof String id && !id.isEmpty() && id.length() <= MAX_ACCOUNT_ID_CHARS;
        }
        case "amount" -> {
          required++;
          yield Money.isAmount(value);
        }
        case "currency" -> {
          required++;
          yield Money.isCurrency(value);
        }
        case "mode" -> "IMMEDIATE".equals(value) || "PENDING".equals(value);
        case "expiresInSeconds" -> (value instanceof Integer || value instanceof Long)
            && ((Number) value).longValue() >= 1 && ((Number) value).longValue() <= MAX_EXPIRES_IN_SECONDS;
        case "reference" -> value instanceof String reference && reference.length() <= MAX_REFERENCE_CHARS;
        case "metadata" -> value instanceof JsonObject;
        default -> false;
      };
      if (!clean) {
        return false;
      }
    }
    return required == 4;
  }

  private static boolean cleanBatch(JsonObject batch) {
    if (batch.size() != 1 || !(batch.getValue("transfers") instanceof JsonArray transfers)
        || transfers.isEmpty() || transfers.size() > MAX_BATCH_ITEMS) {
      return false;
    }
    for (Object item : transfers) {
      if (!(item instanceof JsonObject transfer) || !cleanTransfer(transfer)) {
        return false;
      }
    }
    return true;
  }

  private static boolean cleanPostTransfer(JsonObject post) {
    return post.isEmpty() || (post.size() == 1 && Money.isAmount(post.getValue("amount")));
  }
}
