import { execFile } from 'child_process';
import crypto from 'crypto';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { promisify } from 'util';
import {
  ensureCachedDir,
  lpCacheDir,
  PACKAGE_ROOT,
  run,
} from '../__testUtils__/cache';
import { stackUp } from '../__testUtils__/stack';
import { snowflakeSession } from '../__testUtils__/snowflake';

/**
 * Benchmark: LP_BENCH_ROWS rows (default 1,000,000) into the Snowflake
 * emulator through the official Spark connector (spark-snowflake 3.0.0 on
 * Spark 3.5.7, local[2]: the batch job's write, gzip CSV files through an
 * internal stage in S3, COPY INTO, in a transaction), against the reference
 * in the same run: the same rows through snowflake-connector-python's
 * write_pandas (Parquet files, PUT, COPY INTO). Both end in the same kind of
 * table; the run checks they hold the same rows (count and exact sums).
 * Timed: the connector's save() and the write_pandas() call, each from its
 * own process after the data is in memory.
 *
 * Run with `bench/snowflake-load.sh`. Writes bench/results/snowflake-load.json.
 */

jest.setTimeout(60 * 60_000);

const ROWS = Number(process.env.LP_BENCH_ROWS ?? 1_000_000);
const RUNS = Number(process.env.LP_BENCH_RUNS ?? 3);
const exec = promisify(execFile);

const TABLE_DDL =
  '(ID BIGINT, STATUS VARCHAR, AMOUNT NUMBER(12,2), UPDATED_AT TIMESTAMP_TZ(3))';

/** The same rows in both writers: id i, a status, an amount with cents, a timestamp. */
const ROW_PYTHON = {
  spark: [
    'frame = spark.range(rows).select(',
    '    F.col("id").alias("ID"),',
    '    F.concat(F.lit("status-"), (F.col("id") % 7).cast("string")).alias("STATUS"),',
    '    ((F.col("id") % 100000) / 100).cast("decimal(12,2)").alias("AMOUNT"),',
    '    F.timestamp_seconds(F.lit(1790000000) + F.col("id") % 86400).alias("UPDATED_AT"),',
    ').persist()',
    'frame.count()',
  ].join('\n'),
  pandas: [
    'ids = numpy.arange(rows, dtype="int64")',
    'frame = pandas.DataFrame({',
    '    "ID": ids,',
    '    "STATUS": ["status-" + str(i % 7) for i in range(rows)],',
    '    "AMOUNT": [decimal.Decimal(int(i % 100000)).scaleb(-2) for i in range(rows)],',
    '    "UPDATED_AT": pandas.to_datetime(1790000000 + ids % 86400, unit="s", utc=True),',
    '})',
  ].join('\n'),
};

function writePandasPython(): string {
  const lock = path.resolve(
    PACKAGE_ROOT,
    '../../bench/requirements/write-pandas.lock',
  );
  const digest = crypto
    .createHash('sha256')
    .update(fs.readFileSync(lock))
    .digest('hex')
    .slice(0, 12);
  const dir = ensureCachedDir(
    path.join(lpCacheDir(), 'bench', `write-pandas-${digest}`),
    'snowflake-connector-python with pandas (the write_pandas reference)',
    tmp => {
      run('python3', ['-m', 'venv', tmp], 'venv');
      run(
        path.join(tmp, 'bin/python'),
        ['-m', 'pip', 'install', '-q', '--no-deps', '-r', lock],
        'pip install',
      );
    },
    'pip install -r bench/requirements/write-pandas.lock',
  );
  return path.join(dir, 'bin/python');
}

describe('benchmark: rows into the Snowflake emulator', () => {
  it('the official Spark connector against write_pandas, same rows, same run', async () => {
    const env = stackUp(['s3', 'snowflake', 'spark']);
    const pandasPython = writePandasPython();
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'lp-sf-bench-'));
    const { hostname, port } = new URL(env.LP_SNOWFLAKE_ACCESS_URL);
    const target = (name: string) =>
      `${env.LP_SNOWFLAKE_DATABASE}.${env.LP_SNOWFLAKE_SCHEMA}.${name}`;
    const sf = await snowflakeSession(env);
    const sparkScript = path.join(work, 'connector.py');
    fs.writeFileSync(
      sparkScript,
      [
        'import json, sys, time',
        'from pyspark.sql import SparkSession, functions as F',
        'rows, table, options = int(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3])',
        'spark = SparkSession.builder.config("spark.sql.session.timeZone", "UTC").getOrCreate()',
        'spark._jvm.java.util.TimeZone.setDefault(spark._jvm.java.util.TimeZone.getTimeZone("UTC"))',
        ROW_PYTHON.spark,
        'started = time.monotonic()',
        '(frame.write.format("net.snowflake.spark.snowflake").options(**options)',
        ' .option("dbtable", table).option("truncate_table", "on").option("usestagingtable", "off")',
        ' .mode("overwrite").save())',
        'print("SECONDS", time.monotonic() - started)',
        'spark._jvm.net.snowflake.spark.snowflake.ServerConnection.closeAllCachedConnections()',
        'spark.stop()',
      ].join('\n'),
    );
    const pandasScript = path.join(work, 'write_pandas.py');
    fs.writeFileSync(
      pandasScript,
      [
        'import decimal, json, sys, time',
        'import numpy, pandas, snowflake.connector',
        'from snowflake.connector.pandas_tools import write_pandas',
        'rows, table, options = int(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3])',
        ROW_PYTHON.pandas,
        'connection = snowflake.connector.connect(**options)',
        'started = time.monotonic()',
        "# As the connector's truncate_table=on: the table stays, its rows are replaced.",
        'connection.cursor().execute("TRUNCATE TABLE " + table)',
        'ok, chunks, written, _ = write_pandas(connection, frame, table, use_logical_type=True)',
        'print("SECONDS", time.monotonic() - started)',
        'assert ok and written == rows, (ok, written)',
        'connection.close()',
      ].join('\n'),
    );
    const secondsOf = (stdout: string) =>
      Number(/^SECONDS (\S+)$/m.exec(stdout)![1]);
    const connector = async (table: string) => {
      const { stdout } = await exec(
        env.LP_SPARK_SUBMIT,
        [
          '--master',
          'local[2]',
          '--driver-memory',
          '2g',
          '--conf',
          'spark.ui.enabled=false',
          '--jars',
          env.LP_SPARK_JARS,
          sparkScript,
          String(ROWS),
          table,
          JSON.stringify({
            sfURL: `${hostname}:${port}`,
            sfSSL: 'off',
            sfAccount: env.LP_SNOWFLAKE_ACCOUNT,
            sfUser: env.LP_SNOWFLAKE_USER,
            sfPassword: env.LP_SNOWFLAKE_PASSWORD,
            sfDatabase: env.LP_SNOWFLAKE_DATABASE,
            sfSchema: env.LP_SNOWFLAKE_SCHEMA,
            sfWarehouse: env.LP_SNOWFLAKE_WAREHOUSE,
            sfTimezone: 'UTC',
            disablePlatformDetection: 'true',
          }),
        ],
        {
          maxBuffer: 256 * 1024 * 1024,
          env: {
            ...process.env,
            PYSPARK_PYTHON: env.LP_SPARK_PYTHON,
            SPARK_LOCAL_DIRS: work,
          },
        },
      );
      return secondsOf(stdout);
    };
    const writePandas = async (table: string) => {
      const { stdout } = await exec(
        pandasPython,
        [
          pandasScript,
          String(ROWS),
          table,
          JSON.stringify({
            account: env.LP_SNOWFLAKE_ACCOUNT,
            user: env.LP_SNOWFLAKE_USER,
            password: env.LP_SNOWFLAKE_PASSWORD,
            host: hostname,
            port: Number(port),
            protocol: 'http',
            database: env.LP_SNOWFLAKE_DATABASE,
            schema: env.LP_SNOWFLAKE_SCHEMA,
            warehouse: env.LP_SNOWFLAKE_WAREHOUSE,
          }),
        ],
        { maxBuffer: 256 * 1024 * 1024 },
      );
      return secondsOf(stdout);
    };
    const figures = async (table: string) => {
      const [row] = await sf.query(
        `SELECT COUNT(*) AS N, TO_VARCHAR(SUM(AMOUNT)) AS S, COUNT(DISTINCT STATUS) AS K, TO_VARCHAR(MIN(UPDATED_AT)) AS T FROM ${target(
          table,
        )}`,
      );
      return {
        rows: Number(row.N),
        sum: String(row.S),
        statuses: Number(row.K),
        first: row.T,
      };
    };
    try {
      const runs: Array<{ connector: number; writePandas: number }> = [];
      for (const name of ['BENCH_CONNECTOR', 'BENCH_WRITE_PANDAS'])
        await sf.query(`CREATE OR REPLACE TABLE ${target(name)} ${TABLE_DDL}`);
      for (let i = 0; i < RUNS; i++) {
        // Alternating order, so neither writer always runs on a warmer machine.
        const pair =
          i % 2 === 0
            ? {
                connector: await connector('BENCH_CONNECTOR'),
                writePandas: await writePandas('BENCH_WRITE_PANDAS'),
              }
            : {
                writePandas: await writePandas('BENCH_WRITE_PANDAS'),
                connector: await connector('BENCH_CONNECTOR'),
              };
        runs.push(pair);
        process.stderr.write(
          `[bench] run ${i + 1}: connector ${pair.connector.toFixed(
            1,
          )} s, write_pandas ${pair.writePandas.toFixed(1)} s\n`,
        );
      }
      const loaded = {
        connector: await figures('BENCH_CONNECTOR'),
        writePandas: await figures('BENCH_WRITE_PANDAS'),
      };
      // Both writers loaded exactly the same rows.
      expect(loaded.connector.rows).toBe(ROWS);
      expect(loaded.connector).toEqual(loaded.writePandas);
      const median = (xs: number[]) =>
        [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
      const c = median(runs.map(r => r.connector));
      const w = median(runs.map(r => r.writePandas));
      const out = {
        benchmark:
          'rows into the Snowflake emulator: official Spark connector vs write_pandas',
        date: new Date().toISOString(),
        machine: `${os.cpus().length} x ${os.cpus()[0]?.model}, ${Math.round(
          os.totalmem() / 2 ** 30,
        )} GiB`,
        rows: ROWS,
        runs,
        connector: {
          medianSeconds: Math.round(c * 10) / 10,
          rowsPerSecond: Math.round(ROWS / c),
        },
        writePandas: {
          medianSeconds: Math.round(w * 10) / 10,
          rowsPerSecond: Math.round(ROWS / w),
        },
        connectorToWritePandas: Math.round((w / c) * 100) / 100,
        loaded: loaded.connector,
      };
      if (process.env.LP_BENCH_OUT)
        fs.writeFileSync(
          process.env.LP_BENCH_OUT,
          `${JSON.stringify(out, null, 2)}\n`,
        );
      process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    } finally {
      for (const name of ['BENCH_CONNECTOR', 'BENCH_WRITE_PANDAS'])
        await sf.query(`DROP TABLE IF EXISTS ${target(name)}`);
      await sf.close();
      fs.rmSync(work, { recursive: true, force: true });
    }
  });
});
