import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Pool } from 'pg';
import { gunzipSync } from 'node:zlib';
import { ClientCache, PipelineEnvironments, withTimeout } from './common';

/** One column of an Iceberg table's current schema. */
export type IcebergColumn = {
  name: string;
  /** Iceberg type: `long`, `decimal(18,2)`, `timestamptz`, `struct<...>`... */
  type: string;
  required: boolean;
  doc?: string;
};

/** An Iceberg table as its catalog lists it, with facts from its current metadata file. */
export type IcebergTableInfo = {
  /** The JDBC catalog's `catalog_name`. */
  catalog: string;
  /** Dotted namespace (`orders_eu`, `a.b`). */
  namespace: string;
  name: string;
  metadataLocation: string;
  /** What the metadata file says; absent when S3 is not configured. */
  metadata?: {
    formatVersion: number;
    location: string;
    columns: IcebergColumn[];
    /** Partition fields of the default spec, e.g. `day(event_ts)`. */
    partitioning: string[];
    /** From the current snapshot's summary; absent for a table with no snapshot. */
    rows?: number;
    bytes?: number;
    files?: number;
    lastUpdatedMs?: number;
  };
  /** Why the metadata file could not be read (the table is still listed). */
  metadataError?: string;
};

/** Iceberg tables of a catalog (JDBC catalogs in PostgreSQL, metadata on S3). */
export interface IcebergProbe {
  listTables(
    environment: string,
    options?: { timeoutMs?: number },
  ): Promise<IcebergTableInfo[]>;
}

type IcebergType =
  | string
  | { type: 'struct'; fields: Array<{ name: string; type: IcebergType }> }
  | { type: 'list'; element: IcebergType }
  | { type: 'map'; key: IcebergType; value: IcebergType };

/** An Iceberg type as one readable string. */
export function icebergTypeName(type: IcebergType): string {
  if (typeof type === 'string') return type;
  switch (type.type) {
    case 'struct':
      return `struct<${type.fields
        .map(f => `${f.name}:${icebergTypeName(f.type)}`)
        .join(',')}>`;
    case 'list':
      return `list<${icebergTypeName(type.element)}>`;
    case 'map':
      return `map<${icebergTypeName(type.key)},${icebergTypeName(type.value)}>`;
    default:
      return JSON.stringify(type);
  }
}

const num = (value: unknown) =>
  value === undefined || value === null || value === ''
    ? undefined
    : Number(value);

/**
 * The facts of an Iceberg table metadata file (format v1, v2 and v3): current
 * schema, default partition spec, and the current snapshot's totals.
 */
export function parseIcebergMetadata(
  json: any,
): NonNullable<IcebergTableInfo['metadata']> {
  const schema =
    (json.schemas as any[] | undefined)?.find(
      s => s['schema-id'] === json['current-schema-id'],
    ) ?? json.schema;
  const fields: any[] = schema?.fields ?? [];
  const byId = new Map(fields.map(f => [f.id, f.name]));
  const spec =
    (json['partition-specs'] as any[] | undefined)?.find(
      s => s['spec-id'] === json['default-spec-id'],
    )?.fields ??
    json['partition-spec'] ??
    [];
  const current = (json.snapshots as any[] | undefined)?.find(
    s => s['snapshot-id'] === json['current-snapshot-id'],
  );
  const summary = current?.summary ?? {};
  return {
    formatVersion: Number(json['format-version'] ?? 1),
    location: String(json.location ?? ''),
    columns: fields.map(f => ({
      name: f.name,
      type: icebergTypeName(f.type),
      required: Boolean(f.required),
      ...(f.doc ? { doc: String(f.doc) } : {}),
    })),
    partitioning: (spec as any[]).map(p => {
      const source = byId.get(p['source-id']) ?? p.name;
      return p.transform === 'identity' ? source : `${p.transform}(${source})`;
    }),
    rows: num(summary['total-records']),
    bytes: num(summary['total-files-size']),
    files: num(summary['total-data-files']),
    lastUpdatedMs: num(json['last-updated-ms']),
  };
}

/** s3://bucket/key (also s3a://, s3n://) -> bucket and key. */
function parseS3Url(url: string): { bucket: string; key: string } | undefined {
  const match = /^s3[an]?:\/\/([^/]+)\/(.+)$/.exec(url);
  return match ? { bucket: match[1], key: match[2] } : undefined;
}

type Clients = { pool: Pool; s3?: S3Client };

/**
 * Reads the JDBC catalog's `iceberg_tables` table, then each table's current
 * metadata file from S3. Metadata files never change once written, so each is
 * read once and remembered by location; only tables whose metadata moved are
 * read again.
 */
export class IcebergJdbcProbe implements IcebergProbe {
  private readonly clients: ClientCache<Clients>;
  /** Per environment: metadata file location -> its facts. */
  private readonly metadataCache = new Map<
    string,
    Map<string, NonNullable<IcebergTableInfo['metadata']>>
  >();

  constructor(
    private readonly environments: PipelineEnvironments,
    private readonly options: { timeoutMs: number; concurrency?: number },
  ) {
    this.clients = new ClientCache(environment => {
      const { catalog, s3 } = this.environments.settings(
        environment,
        'iceberg',
      );
      return {
        pool: new Pool({
          host: catalog.host,
          port: catalog.port,
          database: catalog.database,
          user: catalog.user,
          password: catalog.password,
          ssl: catalog.ssl,
          max: 2,
          connectionTimeoutMillis: options.timeoutMs,
          application_name: 'backstage-lambda-pipelines',
        }),
        s3: s3
          ? new S3Client({
              region: s3.region,
              endpoint: s3.endpoint,
              forcePathStyle: s3.forcePathStyle,
              ...(s3.accessKeyId && s3.secretAccessKey
                ? {
                    credentials: {
                      accessKeyId: s3.accessKeyId,
                      secretAccessKey: s3.secretAccessKey,
                    },
                  }
                : {}),
            })
          : undefined,
      };
    });
  }

  async listTables(
    environment: string,
    options: { timeoutMs?: number } = {},
  ): Promise<IcebergTableInfo[]> {
    const { catalog } = this.environments.settings(environment, 'iceberg');
    return withTimeout(
      'iceberg',
      `Iceberg catalog (${environment}) in ${catalog.host}:${catalog.port}/${catalog.database}`,
      options.timeoutMs ?? this.options.timeoutMs,
      async signal => {
        const { pool, s3 } = await this.clients.get(environment);
        const tables = await this.readCatalog(pool, catalog.name);
        if (s3) await this.readMetadata(environment, s3, tables, signal);
        return tables;
      },
    );
  }

  private async readCatalog(
    pool: Pool,
    catalogName: string | undefined,
  ): Promise<IcebergTableInfo[]> {
    let rows: any[];
    try {
      // SELECT *: catalogs created by Iceberg < 1.7 have no iceberg_type column.
      rows = (
        await pool.query(
          `SELECT * FROM iceberg_tables${
            catalogName ? ' WHERE catalog_name = $1' : ''
          } ORDER BY catalog_name, table_namespace, table_name`,
          catalogName ? [catalogName] : [],
        )
      ).rows;
    } catch (error) {
      // The catalog creates its table with the first Iceberg table.
      if ((error as { code?: string }).code === '42P01') return [];
      throw error;
    }
    return rows
      .filter(r => !r.iceberg_type || r.iceberg_type === 'TABLE')
      .map(r => ({
        catalog: r.catalog_name,
        namespace: r.table_namespace,
        name: r.table_name,
        metadataLocation: r.metadata_location,
      }));
  }

  private async readMetadata(
    environment: string,
    s3: S3Client,
    tables: IcebergTableInfo[],
    signal: AbortSignal,
  ): Promise<void> {
    let cache = this.metadataCache.get(environment);
    if (!cache) {
      cache = new Map();
      this.metadataCache.set(environment, cache);
    }
    const queue = tables.filter(t => {
      const cached = cache!.get(t.metadataLocation);
      if (cached) t.metadata = cached;
      return !cached;
    });
    const worker = async () => {
      for (let t = queue.shift(); t && !signal.aborted; t = queue.shift()) {
        const where = parseS3Url(t.metadataLocation);
        if (!where) {
          t.metadataError = `metadata location ${t.metadataLocation} is not an s3:// URL`;
          continue;
        }
        try {
          const object = await s3.send(
            new GetObjectCommand({ Bucket: where.bucket, Key: where.key }),
            { abortSignal: signal },
          );
          let bytes = Buffer.from(await object.Body!.transformToByteArray());
          if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzipSync(bytes);
          t.metadata = parseIcebergMetadata(JSON.parse(bytes.toString('utf8')));
          cache!.set(t.metadataLocation, t.metadata);
        } catch (error) {
          t.metadataError = `cannot read ${t.metadataLocation}: ${
            (error as Error).name
          }: ${(error as Error).message}`;
        }
      }
    };
    await Promise.all(
      Array.from({ length: this.options.concurrency ?? 16 }, worker),
    );
    // Forget files no table points at any more.
    const live = new Set(tables.map(t => t.metadataLocation));
    for (const location of cache.keys()) {
      if (!live.has(location)) cache.delete(location);
    }
  }

  async close(): Promise<void> {
    await Promise.all(
      (
        await this.clients.all()
      ).map(async c => {
        c.s3?.destroy();
        await c.pool.end();
      }),
    );
  }
}
