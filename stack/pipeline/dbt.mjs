// How the generated dbt project reaches the stack's Snowflake emulator: the
// SNOWFLAKE_* variables its profile (dags/dbt/profiles.yml) reads, for the
// pipeline supervisor and the template's dbt tests alike.

/**
 * The profile's connection variables for the emulator, given the stack's
 * environment and the plan's `batch.snowflake` (role, warehouse, database,
 * landing schema).
 */
export function dbtSnowflakeEnv(env, snowflake) {
  const url = new URL(env.LP_SNOWFLAKE_ACCESS_URL);
  const protocol = url.protocol.replace(':', '');
  return {
    SNOWFLAKE_ACCOUNT: env.LP_SNOWFLAKE_ACCOUNT,
    SNOWFLAKE_USER: env.LP_SNOWFLAKE_USER,
    SNOWFLAKE_PASSWORD: env.LP_SNOWFLAKE_PASSWORD,
    SNOWFLAKE_ROLE: snowflake.role,
    SNOWFLAKE_WAREHOUSE: snowflake.warehouse,
    SNOWFLAKE_DATABASE: snowflake.database,
    SNOWFLAKE_SCHEMA: snowflake.schema,
    SNOWFLAKE_HOST: url.hostname,
    SNOWFLAKE_PORT: url.port || (protocol === 'https' ? '443' : '80'),
    SNOWFLAKE_PROTOCOL: protocol,
  };
}
