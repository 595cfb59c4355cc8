package fincloud.shared;

import java.util.Currency;
import java.util.Set;
import java.util.stream.Collectors;

/** The money rules of docs/contract.md, Money: integer minor units within JSON's safe range, ISO 4217 codes. */
public final class Money {
  public static final long MAX_AMOUNT = 9_007_199_254_740_991L;
  private static final Set<String> CURRENCIES = Currency.getAvailableCurrencies().stream()
      .map(Currency::getCurrencyCode).collect(Collectors.toUnmodifiableSet());

  private Money() {
  }

  /** True for a JSON integer (not 1.0, not 1e3, not a string) in 1..MAX_AMOUNT. */
  public static boolean isAmount(Object value) {
    return (value instanceof Integer || value instanceof Long)
        && ((Number) value).longValue() >= 1 && ((Number) value).longValue() <= MAX_AMOUNT;
  }

  public static boolean isCurrency(Object value) {
    return value instanceof String code && code.length() == 3 && CURRENCIES.contains(code);
  }
}
