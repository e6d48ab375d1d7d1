import snowflake from 'snowflake-sdk';

// OFF: the driver's default logger would write snowflake.log into the working directory.
snowflake.configure({ logLevel: 'OFF' });

/** A session on the stack's Snowflake emulator through the unchanged driver. */
export async function snowflakeSession(env: Record<string, string>) {
  const connection = snowflake.createConnection({
    accessUrl: env.LP_SNOWFLAKE_ACCESS_URL,
    account: env.LP_SNOWFLAKE_ACCOUNT,
    username: env.LP_SNOWFLAKE_USER,
    password: env.LP_SNOWFLAKE_PASSWORD,
    database: env.LP_SNOWFLAKE_DATABASE,
    schema: env.LP_SNOWFLAKE_SCHEMA,
    warehouse: env.LP_SNOWFLAKE_WAREHOUSE,
  });
  await new Promise<void>((resolve, reject) =>
    connection.connect(error => (error ? reject(error) : resolve())),
  );
  const query = (sqlText: string, binds?: snowflake.Binds) =>
    new Promise<any[]>((resolve, reject) =>
      connection.execute({
        sqlText,
        binds,
        complete: (error, _statement, rows) =>
          error
            ? reject(new Error(`${error.message} (statement: ${sqlText})`))
            : resolve(rows ?? []),
      }),
    );
  const close = () =>
    new Promise<void>((resolve, reject) =>
      connection.destroy(error => (error ? reject(error) : resolve())),
    );
  return { query, close };
}
