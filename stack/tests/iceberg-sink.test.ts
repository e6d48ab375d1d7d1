// The Apache Iceberg Kafka Connect sink on the stack: JSON records from a
// topic become an Iceberg table in the S3 store (S3FileIO, path-style), with
// the JDBC catalog in the stack's PostgreSQL. Checked where the data lands:
// the catalog row, metadata.json and its snapshot, and the Parquet files.
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
} from '@aws-sdk/client-s3';
import { Partitioners } from 'kafkajs';
import { Client } from 'pg';
import {
  connectApi,
  failIfConnectorFailed,
  waitForConnectorRunning,
  kafkaClient,
  s3Client,
  waitFor,
} from './support';

const SINK_CLASS = 'org.apache.iceberg.connect.IcebergSinkConnector';
const RECORDS = 200;

/** s3://bucket/key -> { bucket, key } */
function parseS3Url(url: string) {
  const match = /^s3a?:\/\/([^/]+)\/(.+)$/.exec(url);
  if (!match) throw new Error(`not an s3:// URL: ${url}`);
  return { bucket: match[1], key: match[2] };
}

type Row = { id: number; name: string; amount: number; active: boolean };
type Snapshot = {
  'snapshot-id': number;
  'manifest-list': string;
  summary: Record<string, string>;
};
type TableMetadata = {
  'format-version': number;
  location: string;
  'current-snapshot-id': number;
  'current-schema-id': number;
  schemas: { 'schema-id': number; fields: { name: string; type: string }[] }[];
  snapshots?: Snapshot[];
};

describe('Iceberg sink: Kafka topic -> Iceberg table on S3 with a JDBC catalog', () => {
  const run = `${Date.now().toString(36)}_${Math.random()
    .toString(36)
    .slice(2, 7)}`;
  const topic = `lp-test-iceberg-${run}`;
  const controlTopic = `lp-test-iceberg-control-${run}`;
  const connector = `lp-test-iceberg-sink-${run}`;
  const catalogName = 'lp_test';
  const namespace = `lp_sink_${run}`;
  const tableName = 'events';
  const bucket = process.env.LP_S3_BUCKET!;
  const jdbcUrl = process.env.LP_ICEBERG_JDBC_URL!;

  const s3 = s3Client();
  // The catalog database named in the JDBC URL the connector uses.
  const catalogDb = new Client({
    host: process.env.LP_POSTGRES_HOST,
    port: Number(process.env.LP_POSTGRES_PORT),
    user: process.env.LP_POSTGRES_USER,
    database: /jdbc:postgresql:\/\/[^/]+\/([^?]+)/.exec(jdbcUrl ?? '')?.[1],
  });
  const kafka = kafkaClient();
  const admin = kafka.admin();
  const produced: Row[] = Array.from({ length: RECORDS }, (_, i) => ({
    id: i,
    name: `row ${i}`,
    amount: i + 0.25,
    active: i % 2 === 0,
  }));

  const getObject = async (bucketName: string, key: string) => {
    const object = await s3.send(
      new GetObjectCommand({ Bucket: bucketName, Key: key }),
    );
    return Buffer.from(await object.Body!.transformToByteArray());
  };
  /** Stops a wait at once when the sink or its task failed, with the worker's stack trace. */
  const catalogRow = async () => {
    const { rows } = await catalogDb.query(
      'select metadata_location from iceberg_tables where catalog_name = $1 and table_namespace = $2 and table_name = $3',
      [catalogName, namespace, tableName],
    );
    return rows[0] as { metadata_location: string } | undefined;
  };

  beforeAll(async () => {
    for (const name of [
      'LP_CONNECT_URL',
      'LP_S3_ENDPOINT',
      'LP_S3_BUCKET',
      'LP_ICEBERG_JDBC_URL',
      'LP_KAFKA_BROKERS',
    ]) {
      if (!process.env[name])
        throw new Error(
          `${name} is not set: run with LP_STACK_COMPONENTS=connect,s3`,
        );
    }
    await catalogDb.connect();
    await admin.connect();
    await admin.createTopics({
      topics: [
        { topic, numPartitions: 2, replicationFactor: 1 },
        { topic: controlTopic, numPartitions: 1, replicationFactor: 1 },
      ],
      waitForLeaders: true,
    });
  });

  afterAll(async () => {
    await connectApi('DELETE', `/connectors/${connector}`).catch(
      () => undefined,
    );
    await catalogDb
      .query(
        'delete from iceberg_tables where catalog_name = $1 and table_namespace = $2',
        [catalogName, namespace],
      )
      .catch(() => undefined);
    await catalogDb
      .query(
        'delete from iceberg_namespace_properties where catalog_name = $1 and namespace = $2',
        [catalogName, namespace],
      )
      .catch(() => undefined);
    // The table's files under the warehouse.
    const prefix = `warehouse/${namespace}/`;
    for (;;) {
      const listed = await s3
        .send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }))
        .catch(() => undefined);
      const keys = (listed?.Contents ?? []).map(o => ({ Key: o.Key! }));
      if (keys.length === 0) break;
      await s3.send(
        new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys } }),
      );
    }
    await admin
      .deleteTopics({ topics: [topic, controlTopic] })
      .catch(() => undefined);
    await admin.disconnect();
    await catalogDb.end();
    s3.destroy();
  });

  it('registers the sink and it runs', async () => {
    const created = await connectApi('PUT', `/connectors/${connector}/config`, {
      'connector.class': SINK_CLASS,
      'tasks.max': '1',
      topics: topic,
      'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
      'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
      'value.converter.schemas.enable': 'false',
      'consumer.override.auto.offset.reset': 'earliest',
      'iceberg.tables': `${namespace}.${tableName}`,
      'iceberg.tables.auto-create-enabled': 'true',
      'iceberg.tables.evolve-schema-enabled': 'true',
      'iceberg.control.topic': controlTopic,
      // Short commits so the test is quick (the default is 5 minutes).
      'iceberg.control.commit.interval-ms': '2000',
      'iceberg.catalog': catalogName,
      'iceberg.catalog.catalog-impl': 'org.apache.iceberg.jdbc.JdbcCatalog',
      'iceberg.catalog.uri': jdbcUrl,
      'iceberg.catalog.jdbc.schema-version': 'V1',
      'iceberg.catalog.warehouse': `s3://${bucket}/warehouse`,
      'iceberg.catalog.io-impl': 'org.apache.iceberg.aws.s3.S3FileIO',
      'iceberg.catalog.s3.endpoint': process.env.LP_S3_ENDPOINT,
      'iceberg.catalog.s3.path-style-access': 'true',
      'iceberg.catalog.s3.access-key-id': process.env.LP_S3_ACCESS_KEY_ID,
      'iceberg.catalog.s3.secret-access-key':
        process.env.LP_S3_SECRET_ACCESS_KEY,
      'iceberg.catalog.client.region': process.env.LP_S3_REGION,
    });
    expect(created.status).toBe(201);
    const status = await waitForConnectorRunning(connector);
    expect(status.tasks).toEqual([
      expect.objectContaining({ id: 0, state: 'RUNNING' }),
    ]);
  });

  it(`writes ${RECORDS} records into an Iceberg table: catalog row, metadata, snapshot and Parquet files`, async () => {
    const producer = kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    await producer.send({
      topic,
      acks: -1,
      messages: produced.map(row => ({
        key: `id-${row.id}`,
        value: JSON.stringify(row),
      })),
    });
    await producer.disconnect();

    // The catalog row in PostgreSQL points at a metadata.json whose current
    // snapshot holds every record (the sink may commit them in several snapshots).
    const { location, metadata } = await waitFor(
      `a snapshot with ${RECORDS} records`,
      async () => {
        await failIfConnectorFailed(connector);
        const row = await catalogRow();
        if (!row) return undefined;
        const { bucket: b, key } = parseS3Url(row.metadata_location);
        const json = JSON.parse(
          (await getObject(b, key)).toString('utf8'),
        ) as TableMetadata;
        const current = json.snapshots?.find(
          s => s['snapshot-id'] === json['current-snapshot-id'],
        );
        if (Number(current?.summary['total-records'] ?? 0) < RECORDS)
          return undefined;
        return { location: row.metadata_location, metadata: json };
      },
      120_000,
    );

    expect(location).toMatch(
      new RegExp(
        `^s3://${bucket}/warehouse/${namespace}/${tableName}/metadata/[^/]+\\.metadata\\.json$`,
      ),
    );
    expect(metadata.location).toBe(
      `s3://${bucket}/warehouse/${namespace}/${tableName}`,
    );
    expect(metadata['format-version']).toBeGreaterThanOrEqual(2);
    const schema = metadata.schemas.find(
      s => s['schema-id'] === metadata['current-schema-id'],
    )!;
    expect(
      Object.fromEntries(schema.fields.map(f => [f.name, f.type])),
    ).toEqual({
      id: 'long',
      name: 'string',
      amount: 'double',
      active: 'boolean',
    });

    const snapshot = metadata.snapshots!.find(
      s => s['snapshot-id'] === metadata['current-snapshot-id'],
    )!;
    expect(Number(snapshot.summary['total-records'])).toBe(RECORDS);
    // Written by the sink's coordinator: its commit id and the control topic offsets.
    expect(snapshot.summary['kafka.connect.commit-id']).toMatch(
      /^[0-9a-f-]{36}$/,
    );
    expect(
      Object.keys(snapshot.summary).some(k =>
        k.startsWith(`kafka.connect.offsets.${controlTopic}.`),
      ),
    ).toBe(true);
    // The manifest list is an Avro file in the store.
    const manifestList = parseS3Url(snapshot['manifest-list']);
    expect(
      (await getObject(manifestList.bucket, manifestList.key))
        .subarray(0, 4)
        .toString('latin1'),
    ).toBe('Obj\u0001');

    // The data files: Parquet objects under the table's data/ folder, as many as the snapshot counts.
    const listed = await s3.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: `warehouse/${namespace}/${tableName}/data/`,
      }),
    );
    const dataKeys = (listed.Contents ?? [])
      .map(o => o.Key!)
      .filter(k => k.endsWith('.parquet'));
    expect(dataKeys.length).toBe(Number(snapshot.summary['total-data-files']));
    expect(dataKeys.length).toBeGreaterThan(0);

    const { parquetReadObjects } = await import('hyparquet');
    const { compressors } = await import('hyparquet-compressors');
    const rows: Row[] = [];
    for (const key of dataKeys) {
      const bytes = await getObject(bucket, key);
      expect(bytes.subarray(0, 4).toString('latin1')).toBe('PAR1');
      expect(bytes.subarray(bytes.length - 4).toString('latin1')).toBe('PAR1');
      const file = bytes.buffer.slice(
        bytes.byteOffset,
        bytes.byteOffset + bytes.byteLength,
      ) as ArrayBuffer;
      for (const record of await parquetReadObjects({ file, compressors })) {
        rows.push({
          id: Number(record.id),
          name: record.name,
          amount: record.amount,
          active: record.active,
        });
      }
    }
    expect(rows.sort((a, b) => a.id - b.id)).toEqual(produced);
  });
});
