import java.io.ByteArrayOutputStream;
import java.io.FileInputStream;
import java.io.InputStream;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.zip.GZIPInputStream;
import net.snowflake.client.jdbc.SnowflakeStatement;

/**
 * The Snowflake emulator's contract with the official JDBC driver, unchanged:
 * a scripted session whose outcomes are printed as one JSON object for the
 * caller (stack/tests/snowflakeJdbc.test.ts) to check, together with what it
 * finds in the S3 stand-in afterwards.
 *
 *   java -cp snowflake-jdbc-<v>.jar JdbcContract.java PORT USER PASSWORD DATABASE WORKDIR TAG
 */
public class JdbcContract {
  private static final Map<String, Object> out = new LinkedHashMap<>();

  private static Connection connect(String port, String user, String password, String database) throws SQLException {
    Properties p = new Properties();
    p.put("user", user);
    p.put("password", password);
    p.put("account", "local");
    p.put("db", database);
    p.put("schema", "PUBLIC");
    p.put("ssl", "off");
    p.put("disablePlatformDetection", "true");
    return DriverManager.getConnection("jdbc:snowflake://127.0.0.1:" + port, p);
  }

  /** The error a statement raises, as "code SQLSTATE message". */
  private static String error(Statement s, String sql) {
    try {
      s.execute(sql);
      return "no error";
    } catch (SQLException e) {
      return e.getErrorCode() + " " + e.getSQLState() + " " + e.getMessage().split("\n")[0];
    }
  }

  private static List<List<String>> rows(ResultSet r) throws SQLException {
    List<List<String>> rows = new ArrayList<>();
    int n = r.getMetaData().getColumnCount();
    while (r.next()) {
      List<String> row = new ArrayList<>();
      for (int i = 1; i <= n; i++) row.add(r.getString(i));
      rows.add(row);
    }
    return rows;
  }

  private static String gunzip(Path file) throws Exception {
    try (InputStream in = new GZIPInputStream(new FileInputStream(file.toFile()))) {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      in.transferTo(bytes);
      return bytes.toString("UTF-8");
    }
  }

  public static void main(String[] a) throws Exception {
    String port = a[0], user = a[1], password = a[2], database = a[3];
    Path work = Path.of(a[4]);
    String tag = a[5].toUpperCase();
    String stage = "JDBC_CONTRACT_" + tag, temp = "JDBC_TEMP_" + tag, table = "JDBC_CONTRACT_" + tag;
    Path csv = work.resolve("rows.csv");
    String content = "1,\"a \"\"quoted\"\" value\",12.50,2026-11-01 10:00:00.123\n2,,0E-10,2026-11-01 10:00:01\n";
    Files.writeString(csv, content);

    try {
      connect(port, user, password + "-wrong", database).close();
      out.put("badLogin", "no error");
    } catch (SQLException e) {
      out.put("badLogin", e.getErrorCode() + " " + e.getSQLState());
    }

    try (Connection c = connect(port, user, password, database); Statement s = c.createStatement()) {
      ResultSet types = s.executeQuery(
          "SELECT CAST(12345678.90 AS NUMBER(12,2)) AS N, 'text' AS T, TRUE AS B, "
              + "CAST('2026-11-01' AS DATE) AS D, CAST('2026-11-01 10:00:00.123' AS TIMESTAMP_NTZ) AS TS");
      types.next();
      out.put("number", types.getBigDecimal(1).toPlainString());
      out.put("text", types.getString(2));
      out.put("boolean", types.getBoolean(3));
      out.put("date", types.getDate(4).toString());
      out.put("timestamp", types.getString(5));
      out.put("missingTable", error(s, "SELECT * FROM NO_SUCH_TABLE_" + tag));
      out.put("syntax", error(s, "SELEC 1"));

      s.execute("CREATE OR REPLACE TABLE " + table + " (ID INTEGER, NAME VARCHAR, AMOUNT NUMBER(12,2), AT_TIME TIMESTAMP_NTZ)");
      try (PreparedStatement insert = c.prepareStatement("INSERT INTO " + table + " VALUES (?, ?, ?, ?)")) {
        insert.setInt(1, 100);
        insert.setString(2, "bound");
        insert.setBigDecimal(3, new BigDecimal("1.25"));
        insert.setString(4, "2026-11-01 09:00:00");
        out.put("insertCount", insert.executeUpdate());
      }

      // A named internal stage: the driver uploads to and downloads from S3 itself.
      s.execute("CREATE OR REPLACE STAGE " + stage);
      out.put("put", rows(s.executeQuery("PUT file://" + csv + " @" + stage + "/in")));
      out.put("list", rows(s.executeQuery("LIST @" + stage)));
      Path got = work.resolve("got");
      out.put("get", rows(s.executeQuery("GET @" + stage + "/in/ file://" + got + "/")));
      out.put("roundTrip", gunzip(got.resolve("rows.csv.gz")).equals(content));
      out.put("copy", rows(s.executeQuery(
          "COPY INTO " + table + " FROM @" + stage + "/in/ FILE_FORMAT = (TYPE = CSV FIELD_OPTIONALLY_ENCLOSED_BY = '\"')")));
      out.put("loaded", rows(s.executeQuery("SELECT ID, NAME, AMOUNT, AT_TIME FROM " + table + " ORDER BY ID")));
      out.put("unsupportedCopyOption", error(s,
          "COPY INTO " + table + " FROM @" + stage + "/in/ FILE_FORMAT = (TYPE = CSV) ON_ERROR = CONTINUE"));
      out.put("unsupportedFormatOption", error(s,
          "COPY INTO " + table + " FROM @" + stage + "/in/ FILE_FORMAT = (TYPE = CSV SKIP_BYTE_ORDER_MARK = TRUE)"));
      out.put("remove", rows(s.executeQuery("REMOVE @" + stage + "/in/")));
      out.put("listAfterRemove", rows(s.executeQuery("LIST @" + stage)));
      // Left in the stage for the caller to find in S3.
      out.put("kept", rows(s.executeQuery("PUT file://" + csv + " @" + stage + "/kept")).get(0).get(6));

      // An asynchronous query, as the Spark connector runs COPY: status polling, then RESULT_SCAN.
      ResultSet async = s.unwrap(SnowflakeStatement.class).executeAsyncQuery("SELECT COUNT(*) FROM " + table);
      out.put("asyncCount", rows(async));

      // A temporary stage: its files stay in S3 until the session ends.
      s.execute("CREATE TEMPORARY STAGE " + temp);
      out.put("tempPut", rows(s.executeQuery("PUT file://" + csv + " @" + temp)).get(0).get(6));
      s.execute("DROP TABLE " + table);
    }
    StringBuilder json = new StringBuilder("{");
    for (Map.Entry<String, Object> e : out.entrySet()) {
      if (json.length() > 1) json.append(',');
      json.append(quote(e.getKey())).append(':').append(toJson(e.getValue()));
    }
    System.out.println(json.append('}'));
  }

  private static String quote(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\"";
  }

  private static String toJson(Object v) {
    if (v == null) return "null";
    if (v instanceof Boolean || v instanceof Number) return v.toString();
    if (v instanceof List) {
      StringBuilder b = new StringBuilder("[");
      for (Object x : (List<?>) v) {
        if (b.length() > 1) b.append(',');
        b.append(toJson(x));
      }
      return b.append(']').toString();
    }
    return quote(v.toString());
  }
}
