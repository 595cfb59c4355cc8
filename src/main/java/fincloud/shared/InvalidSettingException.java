package fincloud.shared;

/**
 * A configuration value the node refuses at start-up; the message names the full key and the
 * value it got, so that an operator can fix it without reading the code.
 */
public final class InvalidSettingException extends IllegalArgumentException {
  public InvalidSettingException(String message) {
    super(message);
  }
}
