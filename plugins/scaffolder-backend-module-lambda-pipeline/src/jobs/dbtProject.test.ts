import { spawn } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import type { PipelineFormValues } from '@internal/backstage-plugin-lambda-pipeline-common';
import { PACKAGE_ROOT, progress } from '../__testUtils__/cache';
import { exactSum, renderedRepo } from '../__testUtils__/changeEvents';
import { startPipelineRenderBackend } from '../__testUtils__/render';
import { stackUp } from '../__testUtils__/stack';
import { variants } from '../template/formVariants';

jest.setTimeout(10 * 60_000);

/**
 * The rendered dbt project (`dags/dbt` of the DAG repository) on the stack's
 * dbt 1.11 (`dbt` runtime: dbt-core, dbt-snowflake, dbt-duckdb): it parses
 * for Snowflake offline, builds every model and test green on DuckDB from its
 * sample seeds, takes the incremental path exactly on a second load, and its
 * tests fail when the data is wrong.
 */

const ONE_TABLE = 'one table, local, JDBC, Iceberg, local DAG repo';
const SEVERAL_TABLES = 'several tables, cloud, Glue, Iceberg';
const EVERY_TYPE = 'every column type, 4-column key, timestamp event time';

const SPECS: Record<string, PipelineFormValues> = {
  [ONE_TABLE]: variants[ONE_TABLE],
  [SEVERAL_TABLES]: variants[SEVERAL_TABLES],
  [EVERY_TYPE]: {
    ...variants[ONE_TABLE],
    name: 'types',
    tables: [
      {
        schema: 'sales',
        table: 'every_type',
        columns: [
          { name: 'k_small', type: 'smallint', nullable: false },
          { name: 'k_code', type: 'varchar(1)', nullable: false },
          { name: 'k_day', type: 'date', nullable: false },
          { name: 'k_ts', type: 'timestamp', nullable: false },
          { name: 'quantity', type: 'integer' },
          { name: 'ratio', type: 'real' },
          { name: 'score', type: 'double precision' },
          { name: 'active', type: 'boolean' },
          { name: 'note', type: 'text' },
          { name: 'ref_id', type: 'uuid' },
          { name: 'attributes', type: 'jsonb' },
          { name: 'fraction', type: 'numeric(5,5)' },
          { name: 'units', type: 'numeric(3,0)', nullable: false },
          { name: 'seen_at', type: 'timestamptz' },
          { name: 'happened_at', type: 'timestamp', nullable: false },
        ],
        primaryKey: ['k_small', 'k_code', 'k_day', 'k_ts'],
        eventTimeColumn: 'happened_at',
        measures: ['quantity', 'fraction', 'units'],
      },
    ],
  },
};

type RunResult = {
  unique_id: string;
  status: string;
  message?: string | null;
};
type DbtRun = {
  command: string;
  code: number;
  output: string;
  results: RunResult[];
};
type Table = {
  name: string;
  identifier: string;
  snowflakeTable: string;
  eventTimeColumn: string;
  measures: Array<{ name: string; scale: number }>;
};
type Rows = Array<Record<string, string | null>>;

/** What happened to one rendered project, step by step. */
type Outcome = {
  config: any;
  tables: Table[];
  filesBefore: string[];
  filesAfter: string[];
  parse: DbtRun;
  manifest: any;
  builtManifest: any;
  first: DbtRun;
  second: DbtRun;
  /** The SQL dbt ran for each window mart, in the first and the second build. */
  windowMartSql: Map<string, { first: string; second: string }>;
  secondLoad: Map<string, string[][]>;
  marts: Map<string, { windows: Rows; live: Rows }>;
  tamperedMart?: DbtRun;
  tamperedSeed?: DbtRun;
};

let dbtBin: string;
let dbtPython: string;

function exec(
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv },
): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      ...options,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', chunk => (output += chunk));
    child.stderr.on('data', chunk => (output += chunk));
    child.on('error', reject);
    child.on('close', code => resolve({ code: code ?? -1, output }));
  });
}

/** Minimal RFC 4180 CSV (quoted fields, doubled quotes). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  for (const line of text.split('\n').filter(l => l !== '')) {
    const fields: string[] = [];
    let field = '';
    let quoted = false;
    for (let i = 0; i < line.length; i++) {
      const c = line[i];
      if (quoted && c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') {
        quoted = !quoted;
      } else if (c === ',' && !quoted) {
        fields.push(field);
        field = '';
      } else {
        field += c;
      }
    }
    fields.push(field);
    rows.push(fields);
  }
  return rows;
}

function toCsv(rows: string[][]): string {
  const quote = (f: string) =>
    /[",\n]/.test(f) ? `"${f.replace(/"/g, '""')}"` : f;
  return `${rows.map(r => r.map(quote).join(',')).join('\n')}\n`;
}

/** Epoch seconds of a seed timestamp (`2026-11-01 10:05:00.250000[+00]`, UTC). */
const epochSeconds = (value: string) =>
  Date.parse(`${value.slice(0, 10)}T${value.slice(11, 19)}Z`) / 1000;

/** `12` -> `13`, `3.75` -> `3.76`: a measure changed by an update (within its precision). */
const bump = (value: string) =>
  value.replace(/(\d)$/, d => String((Number(d) + 1) % 10));

/** Decimal text without trailing zeros, as exactSum prints it. */
const normalize = (value: string | null) =>
  value?.includes('.') ? value.replace(/\.?0+$/, '') : value;

class Project {
  readonly env: NodeJS.ProcessEnv;
  readonly work: string;

  constructor(readonly short: string, readonly dir: string, config: any) {
    this.work = fs.mkdtempSync(path.join(os.tmpdir(), 'lp-dbt-work-'));
    const sf = config.batch.snowflake;
    this.env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      LANG: 'C.UTF-8',
      DBT_PROFILES_DIR: dir,
      // Everything dbt writes goes outside the project (a read-only checkout).
      DBT_TARGET_PATH: path.join(this.work, 'target'),
      DBT_LOG_PATH: path.join(this.work, 'logs'),
      DBT_PACKAGES_INSTALL_PATH: path.join(this.work, 'dbt_packages'),
      DBT_USE_COLORS: 'false',
      DUCKDB_PATH: path.join(this.work, 'sample.duckdb'),
      // Dummy Snowflake settings: parse never connects.
      SNOWFLAKE_ACCOUNT: sf.account,
      SNOWFLAKE_USER: sf.user,
      SNOWFLAKE_ROLE: sf.role,
      SNOWFLAKE_WAREHOUSE: sf.warehouse,
      SNOWFLAKE_DATABASE: sf.database,
      SNOWFLAKE_SCHEMA: sf.schema,
      SNOWFLAKE_PRIVATE_KEY_PATH: path.join(this.work, 'no-such-key.p8'),
    };
  }

  async dbt(args: string[]): Promise<DbtRun> {
    const results = path.join(this.work, 'target/run_results.json');
    fs.rmSync(results, { force: true });
    const command = `dbt ${args.join(' ')}`;
    const started = Date.now();
    const { code, output } = await exec(dbtBin, args, {
      cwd: this.dir,
      env: this.env,
    });
    const run: DbtRun = {
      command,
      code,
      output,
      results: fs.existsSync(results)
        ? JSON.parse(fs.readFileSync(results, 'utf8')).results
        : [],
    };
    const counts = run.results.reduce<Record<string, number>>(
      (acc, r) => ({ ...acc, [r.status]: (acc[r.status] ?? 0) + 1 }),
      {},
    );
    progress(
      `dbt: ${this.short}: ${command} -> exit ${code}${
        run.results.length ? ` ${JSON.stringify(counts)}` : ''
      } in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    return run;
  }

  /** The SQL dbt last ran for a model (target/run). */
  runSql(model: string): string {
    const found: string[] = [];
    const walk = (dir: string) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const child = path.join(dir, e.name);
        if (e.isDirectory()) walk(child);
        else if (e.name === `${model}.sql`) found.push(child);
      }
    };
    walk(path.join(this.work, 'target/run'));
    if (found.length !== 1) throw new Error(`no single run SQL for ${model}`);
    return fs.readFileSync(found[0], 'utf8');
  }

  manifest(): any {
    return JSON.parse(
      fs.readFileSync(path.join(this.work, 'target/manifest.json'), 'utf8'),
    );
  }

  /** Runs statements on the DuckDB file; returns the rows of each (values as text). */
  async duckdb(statements: string[]): Promise<Rows[]> {
    const script = [
      'import duckdb, json, sys',
      'con = duckdb.connect(sys.argv[1])',
      'out = []',
      'for sql in json.loads(sys.argv[2]):',
      '    cur = con.execute(sql)',
      '    cols = [d[0].lower() for d in cur.description] if cur.description else []',
      '    out.append([{c: None if v is None else str(v) for c, v in zip(cols, row)} for row in cur.fetchall()] if cols else [])',
      'print(json.dumps(out))',
    ].join('\n');
    const { code, output } = await exec(
      dbtPython,
      ['-c', script, this.env.DUCKDB_PATH!, JSON.stringify(statements)],
      { env: this.env },
    );
    if (code !== 0) throw new Error(`duckdb: ${output}`);
    return JSON.parse(output);
  }

  seedFile(table: Table): string {
    return path.join(this.dir, 'seeds', `raw_${table.name}.csv`);
  }

  files(): string[] {
    const out: string[] = [];
    const walk = (rel: string) => {
      for (const e of fs.readdirSync(path.join(this.dir, rel), {
        withFileTypes: true,
      })) {
        const child = path.join(rel, e.name);
        if (e.isDirectory()) walk(child);
        else out.push(child);
      }
    };
    walk('');
    return out.sort();
  }
}

function tablesOf(config: any): Table[] {
  return config.tables.map((t: any) => {
    const identifier = t.snowflakeTable.split('.').pop();
    return {
      name: identifier.toLowerCase(),
      identifier,
      snowflakeTable: t.snowflakeTable,
      eventTimeColumn: t.eventTimeColumn,
      measures: t.measures.map((m: string) => ({
        name: m,
        scale: Number(
          /,\s*(\d+)\)/.exec(
            t.columns.find((c: any) => c.name === m).snowflake,
          )?.[1] ?? 0,
        ),
      })),
    };
  });
}

/**
 * The second batch load, as the Snowflake table would hold it afterwards:
 * the seed's last row arrives (an insert), its fifth row's event time moves
 * two days on (an update leaving its window) and its second row is deleted
 * (a tombstone). Returns the rows (header first).
 */
function secondLoad(rows: string[][], table: Table): string[][] {
  const [header, ...data] = rows.map(r => [...r]);
  const col = (name: string) => header.indexOf(name.toUpperCase());
  const moved = data[4];
  const eventTime = col(table.eventTimeColumn);
  moved[eventTime] = moved[eventTime].replace('2026-11-02', '2026-11-04');
  for (const m of table.measures) moved[col(m.name)] = bump(moved[col(m.name)]);
  moved[col('_op')] = 'u';
  moved[col('_lsn')] = String(Number(moved[col('_lsn')]) + 100_000);
  moved[col('_loaded_at')] = '2026-11-03 02:00:00+00';
  const deleted = data[1];
  deleted[col('_op')] = 'd';
  deleted[col('_is_deleted')] = 'true';
  deleted[col('_lsn')] = String(Number(deleted[col('_lsn')]) + 100_000);
  deleted[col('_loaded_at')] = '2026-11-03 02:00:01+00';
  return [header, ...data];
}

async function runProject(
  project: Project,
  config: any,
  withNegativeChecks: boolean,
): Promise<Outcome> {
  const tables = tablesOf(config);
  const filesBefore = project.files();
  const rendered = new Map(
    tables.map(t => [
      t.name,
      parseCsv(fs.readFileSync(project.seedFile(t), 'utf8')),
    ]),
  );
  // First load: every sample row but the last.
  for (const t of tables) {
    fs.writeFileSync(
      project.seedFile(t),
      toCsv(rendered.get(t.name)!.slice(0, -1)),
    );
  }
  const deps = await project.dbt(['deps']);
  if (deps.code !== 0) throw new Error(`dbt deps failed:\n${deps.output}`);

  const parse = await project.dbt(['parse', '--target', 'snowflake']);
  const manifest = parse.code === 0 ? project.manifest() : undefined;

  // One command on an empty DuckDB: each staging model depends on its seed.
  const first = await project.dbt(['build', '--target', 'duckdb']);
  const builtManifest = project.manifest();
  const windowMartSql = new Map(
    tables.map(t => [
      t.name,
      { first: project.runSql(`${t.name}_by_window`), second: '' },
    ]),
  );

  const loads = new Map<string, string[][]>();
  for (const t of tables) {
    loads.set(t.name, secondLoad(rendered.get(t.name)!, t));
    fs.writeFileSync(project.seedFile(t), toCsv(loads.get(t.name)!));
  }
  const second = await project.dbt(['build', '--target', 'duckdb']);
  const marts = new Map<string, { windows: Rows; live: Rows }>();
  for (const t of tables) {
    windowMartSql.get(t.name)!.second = project.runSql(`${t.name}_by_window`);
    const [windows, live] = await project.duckdb([
      `select * from main.${t.name}_by_window order by window_start_epoch`,
      `select * from main.${t.name}`,
    ]);
    marts.set(t.name, { windows, live });
  }
  const filesAfter = project.files();
  const outcome: Outcome = {
    config,
    tables,
    filesBefore,
    filesAfter,
    parse,
    manifest,
    builtManifest,
    first,
    second,
    windowMartSql,
    secondLoad: loads,
    marts,
  };
  if (!withNegativeChecks) {
    return outcome;
  }

  // A mart row that no longer matches its staging rows.
  const [t0] = tables;
  await project.duckdb([
    `update main.${t0.name}_by_window set row_count = row_count + 1 where window_start_epoch = (select min(window_start_epoch) from main.${t0.name}_by_window where row_count > 0)`,
  ]);
  const tamperedMart = await project.dbt([
    'test',
    '--target',
    'duckdb',
    '--select',
    'test_type:singular',
  ]);

  // A seed row with an operation Debezium never sends.
  const tampered = loads.get(t0.name)!.map(r => [...r]);
  tampered[3][tampered[0].indexOf('_OP')] = 'x';
  fs.writeFileSync(project.seedFile(t0), toCsv(tampered));
  const tamperedSeed = await project.dbt(['build', '--target', 'duckdb']);
  return { ...outcome, tamperedMart, tamperedSeed };
}

const notGreen = (run: DbtRun) =>
  run.results
    .filter(r => r.status !== 'success' && r.status !== 'pass')
    .map(r => `${r.unique_id}: ${r.status} ${r.message ?? ''}`);

function expectGreen(run: DbtRun) {
  expect({
    command: run.command,
    exit: run.code,
    notGreen: notGreen(run),
    output: run.code === 0 ? '' : run.output.slice(-4000),
  }).toEqual({ command: run.command, exit: 0, notGreen: [], output: '' });
}

describe('the dbt project on dbt 1.11 (Snowflake parse, DuckDB build)', () => {
  const outcomes = new Map<string, Promise<Outcome>>();
  const cleanup: string[] = [];

  beforeAll(async () => {
    progress('dbt: installing the dbt runtime (cached after the first run)');
    const env = stackUp(['dbt']);
    dbtBin = env.LP_DBT_BIN;
    dbtPython = env.LP_DBT_PYTHON;
    const backend = await startPipelineRenderBackend();
    const rendered = new Map<string, string>();
    try {
      for (const [name, values] of Object.entries(SPECS)) {
        rendered.set(
          name,
          renderedRepo(await backend.render({ ...values }), 'dags'),
        );
      }
    } finally {
      await backend.stop();
    }
    // The specs run side by side; each test awaits its spec.
    for (const [name, dags] of rendered) {
      const config = JSON.parse(
        fs.readFileSync(path.join(dags, 'pipeline.json'), 'utf8'),
      );
      const project = new Project(
        config.pipeline,
        path.join(dags, 'dbt'),
        config,
      );
      cleanup.push(dags, project.work);
      const outcome = runProject(project, config, name !== EVERY_TYPE);
      outcome.catch(() => undefined);
      outcomes.set(name, outcome);
    }
  });

  afterAll(async () => {
    await Promise.allSettled(outcomes.values());
    for (const dir of cleanup) {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('pins the dbt versions the stack builds with', () => {
    const lock = fs.readFileSync(
      path.resolve(PACKAGE_ROOT, '../../stack/dbt/requirements.lock'),
      'utf8',
    );
    const pins = fs
      .readFileSync(
        path.resolve(
          PACKAGE_ROOT,
          '../../templates/lambda-pipeline/skeleton/dags/dbt/requirements.txt',
        ),
        'utf8',
      )
      .split('\n')
      .filter(line => /^[A-Za-z]/.test(line));
    expect(pins.length).toBe(4);
    for (const pin of pins) {
      expect(lock.split('\n')).toContain(pin);
    }
  });

  it.each(Object.keys(SPECS))(
    '%s: dbt parse --target snowflake passes offline, with the sources, schemas and merge models of the plan',
    async name => {
      const { parse, manifest, tables, config } = await outcomes.get(name)!;
      expectGreen(parse);
      expect(parse.output).not.toMatch(/\[WARNING\]|deprecat/i);
      const sf = config.batch.snowflake;
      const models = Object.values(manifest.nodes).filter(
        (n: any) => n.resource_type === 'model',
      ) as any[];
      expect(models).toHaveLength(4 * tables.length);
      // Built in <landing schema>_MARTS, where setup.sql lets the role
      // create; staging as views, everything else merged incrementally.
      const built = (m: any) => [
        m.relation_name,
        m.config.materialized,
        m.config.incremental_strategy,
      ];
      expect(models.map(built)).toEqual(
        models.map(m => [
          `${sf.database}.${sf.schema}_MARTS.${m.name}`,
          ...(m.name.startsWith('stg_')
            ? ['view', m.config.incremental_strategy]
            : ['incremental', 'merge']),
        ]),
      );
      // The seeds are the DuckDB sample only: disabled on Snowflake.
      expect(Object.keys(manifest.disabled).sort()).toEqual(
        tables
          .map(t => t.name)
          .sort()
          .map(t => expect.stringMatching(`^seed\\..*\\.raw_${t}$`)),
      );
      const sources = Object.values(manifest.sources) as any[];
      expect(sources.map(s => s.relation_name).sort()).toEqual(
        tables.map(t => t.snowflakeTable).sort(),
      );
      for (const source of sources) {
        expect(source.loaded_at_field).toBe('_LOADED_AT');
        expect(source.freshness.warn_after.count).toBeGreaterThan(0);
        expect(source.freshness.error_after.count).toBeGreaterThan(
          source.freshness.warn_after.count,
        );
      }
    },
  );

  it.each(Object.keys(SPECS))(
    '%s: dbt build on DuckDB (seeds first) runs every model and test green',
    async name => {
      const { first, builtManifest, tables, filesBefore, filesAfter } =
        await outcomes.get(name)!;
      expectGreen(first);
      const ran = first.results.map(r => r.unique_id).sort();
      const nodes = Object.values(builtManifest.nodes)
        .filter((n: any) => ['model', 'test', 'seed'].includes(n.resource_type))
        .map((n: any) => n.unique_id)
        .sort();
      expect(ran).toEqual(nodes);
      const of = (kind: string) => ran.filter(id => id.startsWith(`${kind}.`));
      expect(of('model')).toHaveLength(4 * tables.length);
      expect(of('seed')).toHaveLength(tables.length);
      expect(of('test').length).toBeGreaterThan(20 * tables.length);
      // One singular test per table, and generic tests of the vendored package.
      const tests = Object.values(builtManifest.nodes).filter(
        (n: any) => n.resource_type === 'test',
      ) as any[];
      expect(tests.filter(t => !t.test_metadata)).toHaveLength(tables.length);
      expect(
        tests.filter(
          t => t.test_metadata?.namespace === 'lambda_pipeline_utils',
        ).length,
      ).toBeGreaterThan(0);
      expect(
        new Set(tests.map(t => t.test_metadata?.name).filter(Boolean)),
      ).toEqual(
        new Set([
          'not_null',
          'unique',
          'accepted_values',
          'relationships',
          'unique_key',
          'expression_is_true',
          'is_non_negative',
        ]),
      );
      // Nothing was written into the project (a read-only git-sync checkout).
      expect(filesAfter).toEqual(filesBefore);
    },
  );

  it.each(Object.keys(SPECS))(
    '%s: a second load (insert, update into another window, delete) builds incrementally, exact per window',
    async name => {
      const {
        second,
        tables,
        secondLoad: loads,
        marts,
        config,
        windowMartSql,
      } = await outcomes.get(name)!;
      expectGreen(second);
      // The first build created the marts, the second merged into them.
      for (const t of tables) {
        const { first: created, second: merged } = windowMartSql.get(t.name)!;
        expect(created).toMatch(/create\s+table/i);
        expect(created).not.toMatch(/merge into/i);
        expect(merged).toMatch(/merge into/i);
      }
      const incremental = second.results.filter(
        r => r.unique_id.startsWith('model.') && !/\.stg_/.test(r.unique_id),
      );
      expect(incremental).toHaveLength(3 * tables.length);
      const windowSeconds = config.reconciliation.windowMinutes * 60;
      for (const t of tables) {
        const [header, ...rows] = loads.get(t.name)!;
        const col = (c: string) => header.indexOf(c.toUpperCase());
        const windowOf = (row: string[]) =>
          String(
            Math.floor(
              epochSeconds(row[col(t.eventTimeColumn)]) / windowSeconds,
            ) * windowSeconds,
          );
        const live = rows.filter(r => r[col('_is_deleted')] === 'false');
        // Independent of dbt: figures per window from the loaded rows.
        const expected = new Map<string, Record<string, string | null>>();
        for (const row of rows) {
          const w = windowOf(row);
          if (!expected.has(w)) {
            expected.set(w, { row_count: '0', deleted_rows: '0' });
          }
        }
        for (const [w, figures] of expected) {
          const inWindow = rows.filter(r => windowOf(r) === w);
          const liveInWindow = inWindow.filter(
            r => r[col('_is_deleted')] === 'false',
          );
          figures.row_count = String(liveInWindow.length);
          figures.distinct_keys = String(liveInWindow.length);
          figures.deleted_rows = String(inWindow.length - liveInWindow.length);
          for (const m of t.measures) {
            figures[`sum_${m.name}`] = exactSum(
              liveInWindow.map(r => r[col(m.name)]).filter(v => v !== ''),
              m.scale,
            );
          }
        }
        const actual = marts.get(t.name)!;
        const figuresOf = (row: Record<string, string | null>) =>
          Object.fromEntries(
            ['row_count', 'distinct_keys', 'deleted_rows']
              .concat(t.measures.map(m => `sum_${m.name}`))
              .map(k => [k, normalize(row[k])]),
          );
        const nonEmpty = actual.windows.filter(
          w => w.row_count !== '0' || w.deleted_rows !== '0',
        );
        expect(
          Object.fromEntries(
            nonEmpty.map(w => [w.window_start_epoch, figuresOf(w)]),
          ),
        ).toEqual(Object.fromEntries(expected));
        // The window the updated row left (alone in it when windows are
        // short) stays with zero figures rather than stale ones.
        for (const w of actual.windows.filter(x => !nonEmpty.includes(x))) {
          expect(expected.has(w.window_start_epoch!)).toBe(false);
          expect(figuresOf(w)).toMatchObject({ row_count: '0' });
        }
        // Live rows only: the deleted keys are gone from the current mart.
        expect(actual.live).toHaveLength(live.length);
        expect(actual.live.every(r => r._is_deleted === 'False')).toBe(true);
        expect(live).toHaveLength(5);
      }
    },
  );

  it.each([ONE_TABLE, SEVERAL_TABLES])(
    '%s: the tests catch a tampered mart row and a tampered seed row',
    async name => {
      const outcome = await outcomes.get(name)!;
      const tables = outcome.tables;
      const tamperedMart = outcome.tamperedMart!;
      const tamperedSeed = outcome.tamperedSeed!;
      const failed = (run: DbtRun) =>
        run.results
          .filter(r => r.status === 'fail' || r.status === 'error')
          .map(r => r.unique_id);
      // The singular test compares the mart with its staging rows.
      expect(tamperedMart.code).not.toBe(0);
      expect(failed(tamperedMart)).toEqual([
        expect.stringContaining(
          `assert_${tables[0].name}_by_window_matches_staging`,
        ),
      ]);
      expect(tamperedMart.results).toHaveLength(tables.length);
      // accepted_values on staging's _op; everything downstream is skipped.
      expect(tamperedSeed.code).not.toBe(0);
      expect(failed(tamperedSeed)).toEqual([
        expect.stringMatching(
          new RegExp(`^test\\..*\\.accepted_values_stg_${tables[0].name}__op_`),
        ),
      ]);
    },
  );
});
