// The Snowflake emulator's contract with the official JDBC driver and the
// official Spark connector, both unchanged: login, typed results, error codes
// and SQLSTATEs, DML counts, asynchronous queries, and internal stages whose
// files the driver itself moves to and from the S3 stand-in (client-side
// encrypted), with COPY INTO, LIST, GET, REMOVE, and temporary stages that
// end with their session. Connection settings come from the stack's global
// setup (LP_SNOWFLAKE_*, LP_S3_*, LP_SPARK_*).
import {
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import snowflake from 'snowflake-sdk';
import { s3Client } from './support';

jest.setTimeout(10 * 60_000);

const run = promisify(execFile);
const env = (name: string): string => {
  const value = process.env[name];
  if (!value)
    throw new Error(
      `${name} is not set; run through the stack's Jest global setup`,
    );
  return value;
};
const port = () => new URL(env('LP_SNOWFLAKE_ACCESS_URL')).port;
const jdbcJar = () => {
  const jar = env('LP_SPARK_JARS')
    .split(',')
    .find(j => /snowflake-jdbc-[\d.]+\.jar$/.test(j));
  if (!jar) throw new Error('no snowflake-jdbc jar among LP_SPARK_JARS');
  return jar;
};

async function keys(s3: S3Client, prefix: string): Promise<string[]> {
  const listed = await s3
    .send(
      new ListObjectsV2Command({
        Bucket: env('LP_SNOWFLAKE_STAGE_BUCKET'),
        Prefix: prefix,
      }),
    )
    .catch(error => {
      if (error.name === 'NoSuchBucket') return { Contents: [] };
      throw error;
    });
  return (listed.Contents ?? []).map(o => o.Key!);
}

describe('the Snowflake emulator through the official JDBC driver', () => {
  const s3 = s3Client();
  let work: string;
  beforeEach(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'lp-jdbc-'));
  });
  afterEach(() => fs.rmSync(work, { recursive: true, force: true }));
  afterAll(() => s3.destroy());

  it('logs in, queries, errs as Snowflake does, and moves staged files through S3 itself', async () => {
    const tag = `t${Date.now()}`;
    const { stdout } = await run(
      'java',
      [
        '-cp',
        jdbcJar(),
        path.resolve(__dirname, '../snowflake-emulator/JdbcContract.java'),
        port(),
        env('LP_SNOWFLAKE_USER'),
        env('LP_SNOWFLAKE_PASSWORD'),
        env('LP_SNOWFLAKE_DATABASE'),
        work,
        tag,
      ],
      { timeout: 300_000, maxBuffer: 16 * 1024 * 1024 },
    );
    const out = JSON.parse(stdout.trim().split('\n').pop()!);
    const stage = `jdbc_contract_${tag}`;
    expect(out).toEqual({
      // The driver reports every failed login as 08001; the code is Snowflake's.
      badLogin: '390100 08001',
      number: '12345678.90',
      text: 'text',
      boolean: true,
      date: '2026-11-01',
      timestamp: '2026-11-01 10:00:00.123',
      missingTable: expect.stringMatching(
        /^2003 42S02 .*NO_SUCH_TABLE_T\d+ does not exist/,
      ),
      syntax: expect.stringMatching(/^1003 42000 /),
      insertCount: 1,
      put: [
        [
          'rows.csv',
          'rows.csv.gz',
          expect.any(String),
          expect.any(String),
          'NONE',
          'GZIP',
          'UPLOADED',
          '',
        ],
      ],
      list: [
        [
          `${stage}/in/rows.csv.gz`,
          expect.any(String),
          expect.any(String),
          expect.any(String),
        ],
      ],
      get: [['rows.csv.gz', expect.any(String), 'DOWNLOADED', '']],
      roundTrip: true,
      copy: [
        [
          `${stage}/in/rows.csv.gz`,
          'LOADED',
          '2',
          '2',
          '1',
          '0',
          null,
          null,
          null,
          null,
        ],
      ],
      // Quoted fields with "" inside, an empty field as NULL, exact decimals
      // (0E-10 too), next to the row bound through a prepared statement.
      loaded: [
        ['1', 'a "quoted" value', '12.50', '2026-11-01 10:00:00.123'],
        ['2', null, '0.00', '2026-11-01 10:00:01.000'],
        ['100', 'bound', '1.25', '2026-11-01 09:00:00.000'],
      ],
      unsupportedCopyOption:
        "2 0A000 Unsupported feature 'COPY option ON_ERROR = CONTINUE (only ABORT_STATEMENT)'. (The local Snowflake emulator does not emulate it.)",
      unsupportedFormatOption:
        "2 0A000 Unsupported feature 'FILE_FORMAT option SKIP_BYTE_ORDER_MARK'. (The local Snowflake emulator does not emulate it.)",
      remove: [[`${stage}/in/rows.csv.gz`, 'removed']],
      listAfterRemove: [],
      kept: 'UPLOADED',
      asyncCount: [['3']],
      tempPut: 'UPLOADED',
    });

    const database = env('LP_SNOWFLAKE_DATABASE');
    const named = `stages/${database}/PUBLIC/JDBC_CONTRACT_${tag.toUpperCase()}/`;
    // What the driver uploaded is in S3, encrypted with the stage's key.
    expect(await keys(s3, named)).toEqual([`${named}kept/rows.csv.gz`]);
    const head = await s3.send(
      new HeadObjectCommand({
        Bucket: env('LP_SNOWFLAKE_STAGE_BUCKET'),
        Key: `${named}kept/rows.csv.gz`,
      }),
    );
    expect(Object.keys(head.Metadata ?? {})).toEqual(
      expect.arrayContaining(['x-amz-key', 'x-amz-iv', 'x-amz-matdesc']),
    );
    // DROP STAGE takes the stage's files with it.
    snowflake.configure({ logLevel: 'OFF' });
    const connection = snowflake.createConnection({
      accessUrl: env('LP_SNOWFLAKE_ACCESS_URL'),
      account: env('LP_SNOWFLAKE_ACCOUNT'),
      username: env('LP_SNOWFLAKE_USER'),
      password: env('LP_SNOWFLAKE_PASSWORD'),
      database,
      schema: 'PUBLIC',
    });
    await new Promise<void>((resolve, reject) =>
      connection.connect(error => (error ? reject(error) : resolve())),
    );
    await new Promise<void>((resolve, reject) =>
      connection.execute({
        sqlText: `DROP STAGE JDBC_CONTRACT_${tag.toUpperCase()}`,
        complete: error => (error ? reject(error) : resolve()),
      }),
    ).finally(
      () => new Promise(resolve => connection.destroy(() => resolve(null))),
    );
    expect(await keys(s3, named)).toEqual([]);
    // The temporary stage ended with the session, files and all.
    expect(
      await keys(
        s3,
        `stages/${database}/PUBLIC/JDBC_TEMP_${tag.toUpperCase()}/`,
      ),
    ).toEqual([]);
  });

  it('answers a Spark connector option it does not support with a Snowflake error naming it', async () => {
    const script = path.join(work, 'write.py');
    fs.writeFileSync(
      script,
      [
        'import json, sys',
        'from pyspark.sql import SparkSession',
        'spark = SparkSession.builder.getOrCreate()',
        'options = json.loads(sys.argv[1])',
        'frame = spark.createDataFrame([(1, "a")], "ID INT, NAME STRING")',
        'try:',
        '    frame.write.format("net.snowflake.spark.snowflake").options(**options).mode("append").save()',
        '    print("RESULT " + json.dumps("no error"))',
        'except Exception as e:',
        '    lines = [l for l in str(e).splitlines() if "SnowflakeSQLException" in l]',
        '    print("RESULT " + json.dumps(lines[0] if lines else str(e)[:500]))',
        'spark.stop()',
      ].join('\n'),
    );
    const options = {
      sfURL: `127.0.0.1:${port()}`,
      sfSSL: 'off',
      sfAccount: env('LP_SNOWFLAKE_ACCOUNT'),
      sfUser: env('LP_SNOWFLAKE_USER'),
      sfPassword: env('LP_SNOWFLAKE_PASSWORD'),
      sfDatabase: env('LP_SNOWFLAKE_DATABASE'),
      sfSchema: env('LP_SNOWFLAKE_SCHEMA'),
      sfWarehouse: env('LP_SNOWFLAKE_WAREHOUSE'),
      dbtable: `CONNECTOR_OPTION_${Date.now()}`,
      disablePlatformDetection: 'true',
      // COPY ... ON_ERROR = CONTINUE, which the emulator does not emulate.
      continue_on_error: 'on',
    };
    const started = Date.now();
    const { stdout } = await run(
      env('LP_SPARK_SUBMIT'),
      [
        '--master',
        'local[1]',
        '--conf',
        'spark.ui.enabled=false',
        '--jars',
        env('LP_SPARK_JARS'),
        script,
        JSON.stringify(options),
      ],
      {
        timeout: 300_000,
        maxBuffer: 64 * 1024 * 1024,
        env: {
          ...process.env,
          PYSPARK_PYTHON: env('LP_SPARK_PYTHON'),
          SPARK_LOCAL_DIRS: work,
        },
      },
    );
    const result = JSON.parse(
      stdout
        .split('\n')
        .find(l => l.startsWith('RESULT '))!
        .slice(7),
    );
    expect(result).toMatch(
      /SnowflakeSQLException: Unsupported feature 'COPY option ON_ERROR = CONTINUE/,
    );
    // An answer, not a hang: the connector gives up at once (no retries).
    expect(Date.now() - started).toBeLessThan(240_000);
  });
});
