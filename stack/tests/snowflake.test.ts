// Integration test of the Snowflake emulator through the official Node driver,
// unchanged: it connects with `accessUrl` and must get the values and JS types
// it would get from Snowflake. Connection settings come from the stack's
// global setup (LP_SNOWFLAKE_*).
import snowflake from 'snowflake-sdk';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value)
    throw new Error(
      `${name} is not set; run through the stack's Jest global setup`,
    );
  return value;
};

// OFF: the driver's default logger would write snowflake.log into the working directory
snowflake.configure({ logLevel: 'OFF' });

function connectionOptions(
  extra: Partial<snowflake.ConnectionOptions> = {},
): snowflake.ConnectionOptions {
  return {
    accessUrl: env('LP_SNOWFLAKE_ACCESS_URL'),
    account: env('LP_SNOWFLAKE_ACCOUNT'),
    username: env('LP_SNOWFLAKE_USER'),
    password: env('LP_SNOWFLAKE_PASSWORD'),
    database: env('LP_SNOWFLAKE_DATABASE'),
    schema: env('LP_SNOWFLAKE_SCHEMA'),
    warehouse: env('LP_SNOWFLAKE_WAREHOUSE'),
    ...extra,
  };
}

/** connect() with a callback: connectAsync() of driver 3.x resolves even when the login fails. */
function connect(
  extra: Partial<snowflake.ConnectionOptions> = {},
): Promise<snowflake.Connection> {
  const connection = snowflake.createConnection(connectionOptions(extra));
  return new Promise((resolve, reject) =>
    connection.connect(error => (error ? reject(error) : resolve(connection))),
  );
}

type Executed = { statement: snowflake.RowStatement; rows: any[] };

function execute(
  connection: snowflake.Connection,
  sqlText: string,
  binds?: snowflake.Binds,
): Promise<Executed> {
  return new Promise((resolve, reject) => {
    connection.execute({
      sqlText,
      binds,
      complete: (error, statement, rows) =>
        error ? reject(error) : resolve({ statement, rows: rows ?? [] }),
    });
  });
}

function destroy(connection: snowflake.Connection): Promise<void> {
  return new Promise((resolve, reject) =>
    connection.destroy(error => (error ? reject(error) : resolve())),
  );
}

const TABLE = `LP_SF_TEST_${Date.now()}_${process.pid}`;

describe('Snowflake emulator through snowflake-sdk', () => {
  let connection: snowflake.Connection;

  beforeAll(async () => {
    connection = await connect();
  });

  afterAll(async () => {
    if (!connection) return;
    await execute(connection, `DROP TABLE IF EXISTS ${TABLE}`).catch(
      () => undefined,
    );
    await destroy(connection);
  });

  it('connects through accessUrl and answers a query', async () => {
    expect(connection.isUp()).toBe(true);
    expect(await connection.isValidAsync()).toBe(true);
    const { rows } = await execute(connection, 'SELECT 1 AS ONE');
    expect(rows).toEqual([{ ONE: 1 }]);
  });

  it('refuses a wrong password with the driver error for bad credentials', async () => {
    const error: any = await connect({ password: 'not-the-password' }).then(
      async established => {
        await destroy(established);
        return undefined;
      },
      e => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe('390100');
    expect(error.message).toMatch(/Incorrect username or password/);
  });

  it('creates a table and inserts rows with positional and array binds', async () => {
    await execute(
      connection,
      `CREATE OR REPLACE TABLE ${TABLE} (
         ID NUMBER(38,0), AMOUNT NUMBER(10,2), RATIO FLOAT, NAME VARCHAR, ACTIVE BOOLEAN,
         DAY DATE, CREATED_AT TIMESTAMP_NTZ, PAYLOAD VARIANT)`,
    );
    const single = await execute(
      connection,
      `INSERT INTO ${TABLE} (ID, AMOUNT, RATIO, NAME, ACTIVE, DAY, CREATED_AT) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      [
        1,
        12.34,
        0.25,
        'héllo, wörld',
        true,
        '2024-01-02',
        '2024-01-02 03:04:05.123',
      ],
    );
    expect(single.statement.getNumUpdatedRows()).toBe(1);

    const variant = await execute(
      connection,
      `INSERT INTO ${TABLE} (ID, PAYLOAD) SELECT ?, PARSE_JSON(?)`,
      [2, JSON.stringify({ a: 1, b: ['x', null], c: { d: true } })],
    );
    expect(variant.statement.getNumUpdatedRows()).toBe(1);

    const batch = await execute(
      connection,
      `INSERT INTO ${TABLE} (ID, AMOUNT, NAME, ACTIVE) VALUES (?, ?, ?, ?)`,
      [
        [3, -0.5, 'three', false],
        [4, 99999999.99, 'four', null],
        [5, null, null, null],
      ],
    );
    expect(batch.statement.getNumUpdatedRows()).toBe(3);
  });

  it('returns NUMBER, FLOAT, VARCHAR, BOOLEAN, DATE, TIMESTAMP_NTZ and VARIANT with the JS types of Snowflake', async () => {
    const { rows, statement } = await execute(
      connection,
      `SELECT * FROM ${TABLE} ORDER BY ID`,
    );
    expect(rows).toHaveLength(5);
    expect(
      (statement.getColumns() ?? []).map(column => [
        column.getName(),
        column.getType(),
      ]),
    ).toEqual([
      ['ID', 'fixed'],
      ['AMOUNT', 'fixed'],
      ['RATIO', 'real'],
      ['NAME', 'text'],
      ['ACTIVE', 'boolean'],
      ['DAY', 'date'],
      ['CREATED_AT', 'timestamp_ntz'],
      ['PAYLOAD', 'variant'],
    ]);

    const [first, second, third, fourth, fifth] = rows;
    expect(typeof first.ID).toBe('number');
    expect(first.ID).toBe(1);
    expect(typeof first.AMOUNT).toBe('number');
    expect(first.AMOUNT).toBe(12.34);
    expect(typeof first.RATIO).toBe('number');
    expect(first.RATIO).toBe(0.25);
    expect(first.NAME).toBe('héllo, wörld');
    expect(first.ACTIVE).toBe(true);
    expect(first.DAY).toBeInstanceOf(Date);
    expect(first.DAY.toISOString()).toBe('2024-01-02T00:00:00.000Z');
    expect(first.CREATED_AT).toBeInstanceOf(Date);
    expect(first.CREATED_AT.getTime()).toBe(Date.UTC(2024, 0, 2, 3, 4, 5, 123));
    expect(first.PAYLOAD).toBeNull();

    expect(second.PAYLOAD).toEqual({ a: 1, b: ['x', null], c: { d: true } });
    expect(second.NAME).toBeNull();
    expect(second.CREATED_AT).toBeNull();

    expect(third.AMOUNT).toBe(-0.5);
    expect(third.ACTIVE).toBe(false);
    expect(fourth.AMOUNT).toBe(99999999.99);
    expect(fourth.ACTIVE).toBeNull();
    expect(fifth).toEqual({
      ID: 5,
      AMOUNT: null,
      RATIO: null,
      NAME: null,
      ACTIVE: null,
      DAY: null,
      CREATED_AT: null,
      PAYLOAD: null,
    });
  });

  it('formats values as Snowflake does when asked for strings', async () => {
    const { rows } = await new Promise<Executed>((resolve, reject) =>
      connection.execute({
        sqlText: `SELECT ID, AMOUNT, ACTIVE, DAY, CREATED_AT FROM ${TABLE} WHERE ID = ?`,
        binds: [1],
        fetchAsString: ['Number', 'Boolean', 'Date'],
        complete: (error, statement, result) =>
          error ? reject(error) : resolve({ statement, rows: result ?? [] }),
      }),
    );
    expect(rows).toEqual([
      {
        ID: '1',
        AMOUNT: '12.34',
        ACTIVE: 'TRUE',
        DAY: '2024-01-02',
        CREATED_AT: '2024-01-02 03:04:05.123',
      },
    ]);
  });

  it('updates and deletes with bind values and reports the affected rows', async () => {
    const updated = await execute(
      connection,
      `UPDATE ${TABLE} SET NAME = ? WHERE ID >= ?`,
      ['many', 3],
    );
    expect(updated.statement.getNumUpdatedRows()).toBe(3);
    const deleted = await execute(
      connection,
      `DELETE FROM ${TABLE} WHERE ID = ?`,
      [5],
    );
    expect(deleted.statement.getNumUpdatedRows()).toBe(1);
    const { rows } = await execute(
      connection,
      `SELECT COUNT(*) AS N, MAX(NAME) AS NAME FROM ${TABLE} WHERE ID >= 3`,
    );
    expect(rows).toEqual([{ N: 2, NAME: 'many' }]);
  });

  it('reads integers beyond 2^53 exactly when the session asks for BigInt', async () => {
    const bigConnection = await connect({ jsTreatIntegerAsBigInt: true });
    try {
      const { rows } = await execute(
        bigConnection,
        'SELECT 9007199254740993::NUMBER(38,0) AS BIG, 1.5::NUMBER(10,1) AS DEC',
      );
      expect(typeof rows[0].BIG).not.toBe('number');
      expect(rows[0].BIG.toString()).toBe('9007199254740993');
      expect(rows[0].DEC).toBe(1.5);
    } finally {
      await destroy(bigConnection);
    }
  });

  it('fails a query on an unknown table with the driver normal error', async () => {
    const error: any = await execute(
      connection,
      'SELECT * FROM LP_NO_SUCH_TABLE',
    ).then(
      () => undefined,
      e => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe('002003');
    expect(error.sqlState).toBe('42S02');
    expect(error.message).toMatch(/LP_NO_SUCH_TABLE/);
    expect(error.message).not.toMatch(/^\d{6} \(/);
    // the session is still usable afterwards
    const { rows } = await execute(connection, 'SELECT 2 AS TWO');
    expect(rows).toEqual([{ TWO: 2 }]);
  });

  it('sums NUMBER columns exactly, as Snowflake does (no float on the way)', async () => {
    const sums = `${TABLE}_SUMS`;
    await execute(
      connection,
      `CREATE OR REPLACE TABLE ${sums} (AMOUNT NUMBER(12,2), DELETED BOOLEAN)`,
    );
    // 0.10 + 0.20 + ... in binary floating point would not come back as these decimals.
    await execute(
      connection,
      `INSERT INTO ${sums} (AMOUNT, DELETED) VALUES (?, ?)`,
      Array.from({ length: 120 }, (_, i) => [
        `${i}.${(i % 9) + 1}0`,
        i % 7 === 0,
      ]),
    );
    try {
      const { rows } = await execute(
        connection,
        `SELECT TO_VARCHAR(SUM(AMOUNT)) AS ALL_ROWS,
                TO_VARCHAR(COALESCE(SUM(CASE WHEN NOT DELETED THEN AMOUNT END), 0)) AS LIVE,
                SUM(AMOUNT) AS DEFAULT_NAME_CHECK
         FROM ${sums}`,
      );
      let all = 0;
      let live = 0;
      for (let i = 0; i < 120; i++) {
        const cents = i * 100 + ((i % 9) + 1) * 10;
        all += cents;
        if (i % 7 !== 0) live += cents;
      }
      expect(rows[0].ALL_ROWS).toBe((all / 100).toFixed(2));
      expect(rows[0].LIVE).toBe((live / 100).toFixed(2));
      const unnamed = await execute(
        connection,
        `SELECT SUM(AMOUNT) FROM ${sums}`,
      );
      expect(Object.keys(unnamed.rows[0])).toEqual(['SUM(AMOUNT)']);
    } finally {
      await execute(connection, `DROP TABLE IF EXISTS ${sums}`);
    }
  });

  it('creates a temporary view named with its database and schema (dbt incremental merges do)', async () => {
    const view = `${env('LP_SNOWFLAKE_DATABASE')}.${env(
      'LP_SNOWFLAKE_SCHEMA',
    )}.${TABLE}__DBT_TMP`;
    await execute(
      connection,
      `CREATE OR REPLACE TEMPORARY VIEW ${view} AS SELECT 41 + 1 AS ANSWER`,
    );
    try {
      const { rows } = await execute(connection, `SELECT ANSWER FROM ${view}`);
      expect(rows).toEqual([{ ANSWER: 42 }]);
    } finally {
      await execute(connection, `DROP VIEW IF EXISTS ${view}`);
    }
  });

  it('keeps the newest 1,000 results retrievable by query id (RESULT_SCAN), and answers an older id as Snowflake answers an expired one', async () => {
    const connection = await connect();
    try {
      const first = await execute(connection, 'SELECT 42 AS ANSWER');
      const id = first.statement.getQueryId();
      const scan = (queryId: string) =>
        execute(connection, `SELECT * FROM TABLE(RESULT_SCAN('${queryId}'))`);
      expect((await scan(id)).rows).toEqual([{ ANSWER: 42 }]);
      // 1,000 newer results push the first one out (the scan above is one).
      let last = '';
      for (let i = 0; i < 999; i++)
        last = (
          await execute(connection, `SELECT ${i} AS N`)
        ).statement.getQueryId();
      await expect(scan(id)).rejects.toMatchObject({
        code: '000709',
        sqlState: '02000',
        message: `Statement ${id} not found`,
      });
      expect((await scan(last)).rows).toEqual([{ N: 998 }]);
    } finally {
      await destroy(connection);
    }
  });

  it('reports a syntax error with its code and SQL state', async () => {
    const error: any = await execute(connection, 'SELEC 1').then(
      () => undefined,
      e => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe('001003');
    expect(error.sqlState).toBe('42000');
  });
});
