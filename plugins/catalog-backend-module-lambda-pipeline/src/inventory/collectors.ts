import type { LiveDatasetSystem } from '@internal/backstage-plugin-lambda-pipeline-common';
import type {
  ClickHouseProbe,
  IcebergProbe,
  KafkaProbe,
  SnowflakeProbe,
} from '@internal/backstage-plugin-lambda-pipeline-node';
import { DatasetColumn, LiveDataset } from './types';

/** Reads every dataset of one system in one environment. */
export type Collector = (
  environment: string,
  options: { timeoutMs: number; snowflakeDatabases?: string[] },
) => Promise<LiveDataset[]>;

const num = (value: unknown): number | undefined =>
  value === null || value === undefined || value === ''
    ? undefined
    : Number(value);

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value.length > 0 ? value : undefined;

/** Code-point order, as Snowflake sorts identifiers (not the locale's). */
function compare(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

/** Drops undefined members so facts compare (and hash) by what is present. */
function compact<T extends object>(value: T): T {
  return Object.fromEntries(
    Object.entries(value).filter(([, v]) => v !== undefined),
  ) as T;
}

export function kafkaCollector(probe: KafkaProbe): Collector {
  return async (environment, { timeoutMs }) =>
    (await probe.describeTopics(environment, { timeoutMs })).map(topic => ({
      environment,
      system: 'kafka',
      name: topic.name,
      facts: compact({
        kind: 'topic',
        partitions: topic.partitions,
        replicationFactor: topic.replicationFactor,
        underReplicatedPartitions: topic.underReplicatedPartitions || undefined,
        config: topic.config,
      }),
    }));
}

/** ClickHouse's own databases: never datasets. */
const CLICKHOUSE_SYSTEM_DATABASES = [
  'system',
  'INFORMATION_SCHEMA',
  'information_schema',
];

export function clickhouseCollector(probe: ClickHouseProbe): Collector {
  return async (environment, { timeoutMs }) => {
    const params = { skip: CLICKHOUSE_SYSTEM_DATABASES };
    // Two reads of the system tables; both are metadata only, fast at any size.
    const [tables, columns] = await Promise.all([
      probe.query<{
        database: string;
        name: string;
        engine: string;
        total_rows: string | null;
        total_bytes: string | null;
        comment: string;
        sorting_key: string;
        partition_key: string;
      }>(
        environment,
        `SELECT database, name, engine, total_rows, total_bytes, comment, sorting_key, partition_key
         FROM system.tables
         WHERE database NOT IN {skip:Array(String)} AND NOT is_temporary
         ORDER BY database, name`,
        params,
        { timeoutMs },
      ),
      probe.query<{
        database: string;
        table: string;
        name: string;
        type: string;
        comment: string;
      }>(
        environment,
        `SELECT database, table, name, type, comment
         FROM system.columns
         WHERE database NOT IN {skip:Array(String)}
         ORDER BY database, table, position`,
        params,
        { timeoutMs },
      ),
    ]);
    const byTable = new Map<string, DatasetColumn[]>();
    for (const c of columns) {
      const qualified = `${c.database}.${c.table}`;
      let list = byTable.get(qualified);
      if (!list) byTable.set(qualified, (list = []));
      list.push(
        compact({
          name: c.name,
          type: c.type,
          nullable: c.type.startsWith('Nullable('),
          comment: text(c.comment),
        }),
      );
    }
    return tables.map(t => {
      const qualified = `${t.database}.${t.name}`;
      const isView = /View$/.test(t.engine);
      return {
        environment,
        system: 'clickhouse',
        name: qualified,
        facts: compact({
          kind: isView ? 'view' : 'table',
          engine: t.engine,
          comment: text(t.comment),
          columns: byTable.get(qualified) ?? [],
          rows: num(t.total_rows),
          bytes: num(t.total_bytes),
          sortingKey: text(t.sorting_key),
          partitioning: text(t.partition_key) ? [t.partition_key] : undefined,
        }),
      };
    });
  };
}

/** An identifier as Snowflake SQL text: bare when it is canonical, quoted otherwise. */
export function snowflakeIdentifier(name: string): string {
  return /^[A-Z_][A-Z0-9_$]*$/.test(name)
    ? name
    : `"${name.replace(/"/g, '""')}"`;
}

export function snowflakeCollector(probe: SnowflakeProbe): Collector {
  return async (environment, { timeoutMs, snowflakeDatabases = [] }) => {
    const datasets: LiveDataset[] = [];
    for (const database of [...new Set(snowflakeDatabases)].sort()) {
      const db = snowflakeIdentifier(database);
      // One statement at a time: a Snowflake connection runs them in order
      // anyway (and the local emulator refuses a second one in flight).
      // Sorted here rather than in SQL, which costs Snowflake nothing.
      const tables = await probe.query<{
        TABLE_CATALOG: string;
        TABLE_SCHEMA: string;
        TABLE_NAME: string;
        TABLE_TYPE: string;
        ROW_COUNT: number | null;
        BYTES: number | null;
        COMMENT: string | null;
      }>(
        environment,
        `SELECT TABLE_CATALOG, TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE, ROW_COUNT, BYTES, COMMENT
         FROM ${db}.INFORMATION_SCHEMA.TABLES
         WHERE TABLE_SCHEMA <> 'INFORMATION_SCHEMA'`,
        [],
        { timeoutMs },
      );
      const columns = await probe.query<{
        TABLE_SCHEMA: string;
        TABLE_NAME: string;
        COLUMN_NAME: string;
        DATA_TYPE: string;
        IS_NULLABLE: string;
        COMMENT: string | null;
        ORDINAL_POSITION: number;
      }>(
        environment,
        `SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, DATA_TYPE, IS_NULLABLE, COMMENT, ORDINAL_POSITION
         FROM ${db}.INFORMATION_SCHEMA.COLUMNS
         WHERE TABLE_SCHEMA <> 'INFORMATION_SCHEMA'`,
        [],
        { timeoutMs },
      );
      columns.sort((a, b) => a.ORDINAL_POSITION - b.ORDINAL_POSITION);
      tables.sort(
        (a, b) =>
          compare(a.TABLE_SCHEMA, b.TABLE_SCHEMA) ||
          compare(a.TABLE_NAME, b.TABLE_NAME),
      );
      const byTable = new Map<string, DatasetColumn[]>();
      for (const c of columns) {
        const qualified = `${c.TABLE_SCHEMA}.${c.TABLE_NAME}`;
        let list = byTable.get(qualified);
        if (!list) byTable.set(qualified, (list = []));
        list.push(
          compact({
            name: c.COLUMN_NAME,
            type: c.DATA_TYPE,
            nullable: c.IS_NULLABLE === 'YES',
            comment: text(c.COMMENT),
          }),
        );
      }
      for (const t of tables) {
        datasets.push({
          environment,
          system: 'snowflake',
          name: `${t.TABLE_CATALOG}.${t.TABLE_SCHEMA}.${t.TABLE_NAME}`,
          facts: compact({
            kind: /VIEW/.test(t.TABLE_TYPE) ? 'view' : 'table',
            engine: t.TABLE_TYPE,
            comment: text(t.COMMENT),
            columns: byTable.get(`${t.TABLE_SCHEMA}.${t.TABLE_NAME}`) ?? [],
            rows: num(t.ROW_COUNT),
            bytes: num(t.BYTES),
          }),
        });
      }
    }
    return datasets;
  };
}

export function icebergCollector(probe: IcebergProbe): Collector {
  return async (environment, { timeoutMs }) =>
    (await probe.listTables(environment, { timeoutMs })).map(t => ({
      environment,
      system: 'iceberg',
      name: `${t.namespace}.${t.name}`,
      facts: compact({
        kind: 'table',
        engine: t.metadata ? `iceberg v${t.metadata.formatVersion}` : 'iceberg',
        columns: t.metadata?.columns.map(c =>
          compact({
            name: c.name,
            type: c.type,
            nullable: !c.required,
            comment: c.doc,
          }),
        ),
        rows: t.metadata?.rows,
        bytes: t.metadata?.bytes,
        partitioning: t.metadata?.partitioning.length
          ? t.metadata.partitioning
          : undefined,
        location: t.metadata?.location,
        problem: t.metadataError,
      }),
    }));
}

export type Collectors = Partial<Record<LiveDatasetSystem, Collector>>;
