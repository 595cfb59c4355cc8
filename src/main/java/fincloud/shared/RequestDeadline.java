package fincloud.shared;

/**
 * {@code FINCLOUD_REQUEST_TIMEOUT_MS}: how long one API request may take in all, retries on other
 * nodes included. Read here and nowhere else.
 */
public record RequestDeadline(long ms) {
  public static final String KEY = "FINCLOUD_REQUEST_TIMEOUT_MS";

  public static RequestDeadline from(ConfigSection root) {
    return new RequestDeadline(root.longInteger(KEY, 1, 600_000));
  }
}
