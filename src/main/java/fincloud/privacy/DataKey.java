package fincloud.privacy;

import javax.crypto.SecretKey;

/** An account's data key, unwrapped: what seals and opens its customer fields (and its debits' transfer fields). */
public record DataKey(String accountId, String keyId, SecretKey key) {
}
