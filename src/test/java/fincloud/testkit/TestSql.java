package fincloud.testkit;

import fincloud.node.DatabaseSettings;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Plain JDBC reads of a node's database, for checks a test makes behind the API. Blocking. */
public final class TestSql {
  private TestSql() {
  }

  /**
   * Every audit fact a node has written, sealed or not: the audit service moves outbox rows into
   * the hash chain within about a second, so a test that checks what was audited reads both.
   * Use it where a table name goes, followed by an alias.
   */
  public static final String AUDIT_FACTS = "(SELECT id, tenant, actor, action, entity_type, entity_id, success,"
      + " origin, request_id, data FROM audit_outbox UNION ALL SELECT outbox_id, tenant, actor, action,"
      + " entity_type, entity_id, success, origin, request_id, data FROM audit_log)";

  /** The rows of a query, each a column-name-to-value map in select order. */
  public static List<Map<String, Object>> rows(String pgUrl, String sql, Object... parameters) {
    try (Connection connection = DatabaseSettings.connect(pgUrl);
         PreparedStatement statement = connection.prepareStatement(sql)) {
      for (int i = 0; i < parameters.length; i++) {
        statement.setObject(i + 1, parameters[i]);
      }
      List<Map<String, Object>> rows = new ArrayList<>();
      try (ResultSet result = statement.executeQuery()) {
        ResultSetMetaData meta = result.getMetaData();
        while (result.next()) {
          Map<String, Object> row = new LinkedHashMap<>();
          for (int c = 1; c <= meta.getColumnCount(); c++) {
            row.put(meta.getColumnLabel(c), result.getObject(c));
          }
          rows.add(row);
        }
      }
      return rows;
    } catch (Exception e) {
      throw new IllegalStateException("query failed: " + sql, e);
    }
  }

  /** The single number a query answers (count(*), sum(...)); 0 for SQL NULL. */
  public static long number(String pgUrl, String sql, Object... parameters) {
    Object value = rows(pgUrl, sql, parameters).get(0).values().iterator().next();
    return value == null ? 0 : ((Number) value).longValue();
  }
}
