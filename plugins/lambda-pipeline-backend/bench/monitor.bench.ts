import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  KafkaAdminProbe,
  PipelineEnvironments,
} from '@internal/backstage-plugin-lambda-pipeline-node';
import {
  stackEnvironment,
  stackUp,
} from '@internal/backstage-plugin-lambda-pipeline-node/testUtils';
import fs from 'fs';
import os from 'os';
import path from 'path';
import request from 'supertest';
import { LivePipeline } from '../src/__testUtils__/livePipeline';
import { lambdaPipelinePlugin } from '../src/plugin';

/**
 * Benchmarks of the monitoring backend on the local stack, run on demand
 * with `bench/monitoring.sh` (not part of the test suite):
 *  1. the health endpoint's latency (p50/p95) with every probe live, with
 *     1 million and then 50 million rows in the speed table: the same
 *     call should cost about the same, since only figures leave the engines;
 *  2. a consistency check over 10 million rows per side, next to the two
 *     engines' own aggregation queries measured alone;
 *  3. the lag of a 100-partition consumer group: our probe and the
 *     community Kafka backend plugin on the same broker and group, their
 *     numbers compared partition by partition.
 */

jest.setTimeout(120 * 60_000);

const OUT = process.env.LP_BENCH_OUT;
const CALLS = Number(process.env.LP_BENCH_CALLS ?? 20);

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
const round = (n: number) => Math.round(n * 10) / 10;
async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}
async function latencies(calls: number, fn: () => Promise<unknown>) {
  await fn(); // warm-up
  const ms: number[] = [];
  for (let i = 0; i < calls; i++) ms.push(await timed(fn));
  return {
    p50: round(percentile(ms, 50)),
    p95: round(percentile(ms, 95)),
    calls,
  };
}

const report: Record<string, unknown> = {
  machine: {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
  },
};
const save = () =>
  OUT && fs.writeFileSync(OUT, `${JSON.stringify(report, null, 2)}\n`);

describe('bench: monitoring', () => {
  let env: Record<string, string>;
  const run = Date.now().toString(36).slice(-5);

  beforeAll(() => {
    env = stackUp([
      'postgres',
      'kafka',
      'connect',
      'clickhouse',
      'snowflake',
      'kubernetes',
      'airflow-api',
    ]);
  });

  afterAll(() => {
    // eslint-disable-next-line no-console
    console.log(JSON.stringify(report, null, 2));
    save();
  });

  async function backendFor(pipeline: LivePipeline) {
    fs.writeFileSync(path.join(pipeline.specDir, 'catalog-info.yaml'), '');
    const { name: _n, ...systems } = stackEnvironment(env) as any;
    return startTestBackend({
      features: [
        lambdaPipelinePlugin,
        mockServices.scheduler.factory({ skipTaskRunOnStartup: true }),
        mockServices.urlReader.factory(),
        catalogServiceMock.factory({ entities: [pipeline.entity()] }),
        mockServices.rootConfig.factory({
          data: {
            lambdaPipelines: {
              environments: { dev: JSON.parse(JSON.stringify(systems)) },
              monitoring: {
                probeTimeoutMs: 30_000,
                sampleIntervalSeconds: 3600,
              },
            },
          },
        }),
      ],
    });
  }

  /** Rows of the speed table generated inside ClickHouse; `_ingested_at` two days ago (history). */
  const fillSpeed = (
    p: LivePipeline,
    from: number,
    count: number,
    ingested = 'now64(3) - toIntervalDay(2)',
  ) =>
    p.clickhouse(
      `INSERT INTO ${p.table.clickhouseTable}
         (order_id, customer_id, status, amount, quantity, updated_at, _lsn, _op, _is_deleted, _source_ts, _kafka_partition, _kafka_offset, _fingerprint, _ingested_at)
       SELECT number, number % 997, 'NEW', toDecimal64((number % 400) / 4, 2), number % 7,
              toDateTime64({base:UInt32} + (number % 86400), 6, 'UTC'), number, 'c', 0, now64(3),
              number % 3, intDiv(number, 3), toInt64((number * 2654435761) % 2305843009213693951), ${ingested}
         FROM numbers({from:UInt64}, {count:UInt64})`,
      {
        from,
        count,
        base: Math.floor(Date.now() / 3_600_000) * 3600 - 30 * 3600,
      },
    );

  const waitForMerges = async (p: LivePipeline) => {
    for (let i = 0; i < 600; i++) {
      const response = await fetch(
        `${env.LP_CLICKHOUSE_URL}/?query=${encodeURIComponent(
          'SELECT count() FROM system.merges',
        )}`,
      );
      if ((await response.text()).trim() === '0') return;
      await new Promise(r => setTimeout(r, 1000));
    }
    void p;
  };

  it('health latency with every probe live, at 1M and 50M rows in ClickHouse', async () => {
    const p = await LivePipeline.start(env, `bh-${run}`);
    const backend = await backendFor(p);
    try {
      const health = () =>
        request(backend.server)
          .get(
            `/api/lambda-pipeline/pipelines/default/${p.spec.metadata.name}/health`,
          )
          .expect(200);
      const recent = async () => fillSpeed(p, 900_000_000, 1000, 'now64(3)');
      await fillSpeed(p, 0, 1_000_000);
      await recent();
      await waitForMerges(p);
      const body = (await health()).body;
      const at1M = await latencies(CALLS, health);
      for (let from = 1_000_000; from < 50_000_000; from += 7_000_000) {
        await fillSpeed(p, from, Math.min(7_000_000, 50_000_000 - from));
      }
      await recent();
      await waitForMerges(p);
      const at50M = await latencies(CALLS, health);
      report.health = {
        probes: body.layers
          .flatMap((l: any) => l.components.map((c: any) => c.system))
          .filter((s: string, i: number, a: string[]) => a.indexOf(s) === i),
        notMonitored: body.notMonitored,
        rows1M: at1M,
        rows50M: at50M,
        ratio50Mto1M: {
          p50: round(at50M.p50 / at1M.p50),
          p95: round(at50M.p95 / at1M.p95),
        },
      };
      save();
    } finally {
      await backend.stop();
      await p.stop();
    }
  });

  it('consistency check over 10 million rows per side', async () => {
    const p = await LivePipeline.start(env, `bc-${run}`);
    const backend = await backendFor(p);
    const rows = 10_000_000;
    try {
      await fillSpeed(p, 0, rows, 'now64(3)');
      const base = Math.floor(Date.now() / 3_600_000) * 3600 - 30 * 3600;
      await p.snowflake(
        `INSERT INTO ${p.table.snowflakeTable} (ORDER_ID, CUSTOMER_ID, STATUS, AMOUNT, QUANTITY, UPDATED_AT, _LSN, _OP, _IS_DELETED, _SOURCE_TS, _KAFKA_PARTITION, _KAFKA_OFFSET, _FINGERPRINT)
         SELECT n, n % 997, 'NEW', ((n % 400) / 4)::NUMBER(12, 2), n % 7, TO_TIMESTAMP_TZ(${base} + (n % 86400), 0), n, 'c', FALSE,
                CURRENT_TIMESTAMP(), n % 3, FLOOR(n / 3), (n * 2654435761) % 2305843009213693951
           FROM (SELECT SEQ4() AS n FROM TABLE(GENERATOR(ROWCOUNT => ${rows})))`,
      );
      await p.writeBatch([], new Date().toISOString(), {
        [p.targets.cdcTopics[0]]: { '0': rows },
      });
      await waitForMerges(p);
      const check = () =>
        request(backend.server)
          .get(
            `/api/lambda-pipeline/pipelines/default/${p.spec.metadata.name}/consistency?refresh=true`,
          )
          .expect(200);
      const first = (await check()).body;
      const ms: number[] = [];
      for (let i = 0; i < 3; i++) ms.push(await timed(check));
      // The engines' own aggregation, alone: a GROUP BY window of the whole table on each side.
      const clickhouseAlone = await timed(() =>
        fetch(`${env.LP_CLICKHOUSE_URL}/`, {
          method: 'POST',
          body: `SELECT toStartOfHour(updated_at) AS w, count(), sum(amount), groupBitXor(_fingerprint) FROM ${p.table.clickhouseTable} GROUP BY w FORMAT Null`,
        }).then(r => r.text()),
      );
      const snowflakeAlone = await timed(() =>
        p.snowflake(
          `SELECT DATE_TRUNC('HOUR', UPDATED_AT) AS W, COUNT(*), SUM(AMOUNT), BITXOR_AGG(_FINGERPRINT) FROM ${p.table.snowflakeTable} GROUP BY 1`,
        ),
      );
      report.consistency = {
        rowsPerSide: rows,
        windows: first.windows.length,
        status: first.status,
        checkMs: { median: round(percentile(ms, 50)), runs: ms.map(round) },
        referenceMs: {
          clickhouseGroupByAlone: round(clickhouseAlone),
          snowflakeGroupByAlone: round(snowflakeAlone),
        },
        ratioToSlowerEngineAlone: round(
          percentile(ms, 50) / Math.max(clickhouseAlone, snowflakeAlone),
        ),
      };
      save();
      expect(first.status).toBe('consistent');
    } finally {
      await backend.stop();
      await p.stop();
    }
  });

  it('lag of a 100-partition consumer group: ours and the community Kafka backend agree', async () => {
    const topic = `lp-bench-lag-${run}`;
    const group = `lp-bench-group-${run}`;
    const { Kafka, logLevel } = await import('kafkajs');
    const kafka = new Kafka({
      clientId: 'lp-bench',
      brokers: env.LP_KAFKA_BROKERS.split(','),
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic, numPartitions: 100 }],
      waitForLeaders: true,
    });
    const producer = kafka.producer();
    await producer.connect();
    for (let partition = 0; partition < 100; partition++) {
      await producer.send({
        topic,
        messages: Array.from({ length: 10 + partition }, (_, i) => ({
          partition,
          value: `m${i}`,
        })),
      });
    }
    await producer.disconnect();
    await admin.setOffsets({
      groupId: group,
      topic,
      partitions: Array.from({ length: 100 }, (_, partition) => ({
        partition,
        offset: String(partition % 10),
      })),
    });

    const ours = new KafkaAdminProbe(
      PipelineEnvironments.of([stackEnvironment(env)]),
      { timeoutMs: 30_000 },
    );
    const community = await startTestBackend({
      features: [
        import('@backstage-community/plugin-kafka-backend/alpha'),
        mockServices.rootConfig.factory({
          data: {
            kafka: {
              clientId: 'backstage-community',
              clusters: [
                { name: 'local', brokers: env.LP_KAFKA_BROKERS.split(',') },
              ],
            },
          },
        }),
      ],
    });
    try {
      const ourLag = await ours.consumerGroupLag('dev', group, [topic]);
      const theirs = (
        await request(community.server)
          .get(`/api/kafka/consumers/local/${group}/offsets`)
          .expect(200)
      ).body;
      const theirLag = new Map<number, number>(
        theirs.offsets
          .filter((o: any) => o.topic === topic)
          .map((o: any) => [
            o.partitionId,
            Number(o.topicOffset) - Number(o.groupOffset),
          ]),
      );
      const disagreements = ourLag.partitions.filter(
        p => theirLag.get(p.partition) !== p.lag,
      );
      const oursMs = await latencies(CALLS, () =>
        ours.consumerGroupLag('dev', group, [topic]),
      );
      const theirsMs = await latencies(CALLS, () =>
        request(community.server)
          .get(`/api/kafka/consumers/local/${group}/offsets`)
          .expect(200),
      );
      report.lag = {
        partitions: ourLag.partitions.length,
        totalLag: ourLag.totalLag,
        communityTotalLag: [...theirLag.values()].reduce((a, b) => a + b, 0),
        disagreeingPartitions: disagreements.length,
        oursMs,
        communityMs: theirsMs,
        ratioCommunityToOurs: {
          p50: round(theirsMs.p50 / oursMs.p50),
          p95: round(theirsMs.p95 / oursMs.p95),
        },
        note: 'ours keeps one admin connection per environment; the community plugin opens new clients per request',
      };
      save();
      expect(disagreements).toEqual([]);
      expect(ourLag.partitions).toHaveLength(100);
    } finally {
      await community.stop();
      await ours.close();
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect();
    }
  });
});
