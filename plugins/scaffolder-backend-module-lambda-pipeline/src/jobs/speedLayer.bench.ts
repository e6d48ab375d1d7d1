import { stackModulePath } from '@internal/backstage-plugin-lambda-pipeline-node/testUtils';
import fs from 'fs';
import os from 'os';
import path from 'path';
import yaml from 'yaml';
import { Kafka, logLevel } from 'kafkajs';
import {
  createClickHouseTables,
  resetTopics,
  speedJobArgs,
} from '../__testUtils__/pipelineRun';
import { startPipelineRenderBackend } from '../__testUtils__/render';
import { clickhouse, stackUp } from '../__testUtils__/stack';
import { startSparkJob, SparkJob } from '../__testUtils__/sparkJob';
import {
  isolated,
  JobsTable,
  renderedPlatform,
} from '../__testUtils__/changeEvents';
import { variants } from '../template/formVariants';

/**
 * Benchmark of the speed layer (Kafka -> the rendered Spark Structured
 * Streaming job -> ClickHouse) on the local stack, fed with Debezium change
 * events (the load generator's, sent by the replay producer):
 *
 * - sustained: LP_BENCH_RATE events/s (default 20,000) for LP_BENCH_SECONDS
 *   (default 300) while the job runs as deployed (5 s trigger); the rate that
 *   lands in ClickHouse and p50/p95 freshness, sampled every second as "now
 *   minus the source time of the newest row queryable in ClickHouse" (the
 *   generator stamps each event's source time when it sends it); then
 *   LP_BENCH_STEP_RATES (default 5,000 to 40,000) for 60 s
 *   each, for the highest rate sustained (the generator kept it, at least
 *   95% of it landed while it ran, and everything landed within 15 s of the
 *   load ending). The live load comes from the replay
 *   producer (LP_BENCH_GENERATOR, below), which runs on the same cores; in a
 *   cluster the producers (Debezium) are elsewhere, so the ceiling below is
 *   the job's own capacity;
 * - paced: the target offered without a live producer on the same cores: a
 *   backlog of LP_BENCH_RATE x LP_BENCH_SECONDS events, read at most
 *   rate x trigger events per micro-batch; the rate that lands shows whether
 *   every micro-batch finishes within its 5 s trigger for 5 minutes;
 * - ceiling: a backlog of LP_BENCH_BACKLOG events (default 3,000,000) drained
 *   by the job: events/s from its first to its last row written;
 * - references in the same run: ClickHouse's own Kafka table engine
 *   draining the same backlog into a copy of the same table (2 consumers,
 *   one thread each; stack/bench/kafkaEngine.mjs), checked to hold the same
 *   live rows and sums; and Kafka's own producer throughput
 *   (ProducerPerformance) with records of the events' size.
 *
 * LP_BENCH_PHASES=sustained or =ceiling runs one phase; the other keeps its
 * previous results (with its date) in the results file.
 *
 * Run with `bench/speed-layer.sh`; results in bench/results/speed-layer.json.
 */

jest.setTimeout(4 * 3600_000);

const RATE = Number(process.env.LP_BENCH_RATE ?? 20_000);
const SECONDS = Number(process.env.LP_BENCH_SECONDS ?? 300);
const BACKLOG = Number(process.env.LP_BENCH_BACKLOG ?? 3_000_000);
const STEP_RATES = (
  process.env.LP_BENCH_STEP_RATES ?? '5000,10000,25000,30000,35000,40000'
)
  .split(',')
  .map(Number);
const STEP_SECONDS = Number(process.env.LP_BENCH_STEP_SECONDS ?? 60);
/**
 * What offers the live load of the sustained phase: `java` (default), the
 * generator's events replayed by Kafka's Java client (about 17% of a core at
 * 20,000 events/s here), or `node`, the generator's own kafkajs producer
 * (about 54%, and it peaks near 13,600/s beside the job on two cores).
 */
const GENERATOR = process.env.LP_BENCH_GENERATOR ?? 'java';
if (!['java', 'node'].includes(GENERATOR))
  throw new Error(
    `LP_BENCH_GENERATOR must be 'java' or 'node'; got '${GENERATOR}'`,
  );
/** Phases to run (default all): `sustained`, `paced`, `ceiling`; one not run keeps its previous results. */
const PHASES = (process.env.LP_BENCH_PHASES ?? 'sustained,paced,ceiling').split(
  ',',
);

const log = (m: string) =>
  process.stderr.write(
    `[bench ${new Date().toISOString().slice(11, 19)}] ${m}\n`,
  );
const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))] : null;
};
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

/** Mean key + value size of the first 500 messages of a topic. */
async function averageRecordSize(kafka: Kafka, topic: string): Promise<number> {
  const sizes: number[] = [];
  const consumer = kafka.consumer({ groupId: `bench-size-${Date.now()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      if (sizes.length < 500)
        sizes.push((message.value?.length ?? 0) + (message.key?.length ?? 0));
    },
  });
  while (sizes.length < 500) await sleep(200);
  await consumer.disconnect();
  return Math.round(sizes.reduce((a, b) => a + b, 0) / sizes.length);
}

describe('bench: speed layer (Kafka -> Spark -> ClickHouse)', () => {
  it("measures the sustained rate, freshness and ceiling against Kafka's producer", async () => {
    const env = stackUp(['kafka', 'clickhouse', 's3', 'spark']);
    const loadgen = await import(stackModulePath('loadgen/loadgen.mjs'));
    const { producerPerformance } = await import(
      stackModulePath('bench/producerPerformance.mjs')
    );
    const { replayLoad } = await import(
      stackModulePath('bench/replayLoad.mjs')
    );
    const kafkaEngine = await import(stackModulePath('bench/kafkaEngine.mjs'));
    const renderer = await startPipelineRenderBackend();
    const rendered = await renderer
      .render(
        isolated(
          variants['one table, local, JDBC, Iceberg, local DAG repo'],
          'spd',
        ),
      )
      .finally(() => renderer.stop());
    const { dir, jobsDir, jobs } = renderedPlatform(rendered);
    const platformDir = path.join(dir, 'platform');
    const spec = yaml.parse(
      fs.readFileSync(path.join(platformDir, 'pipeline.yaml'), 'utf8'),
    );
    const table: JobsTable = jobs.tables[0];
    const partitions = Number(
      /partitions: (\d+)/.exec(
        fs.readFileSync(
          path.join(platformDir, 'deploy/base/kafka/topics.yaml'),
          'utf8',
        ),
      )![1],
    );
    const kafka = new Kafka({
      brokers: [env.LP_KAFKA_BROKERS],
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    const ch = (sql: string) => clickhouse(env, sql);
    // Where a table is in the topic: the events up to its highest offset per
    // partition (what the monitor calls the speed layer's position). Row
    // counts would not do: ReplacingMergeTree merges away older versions.
    const position = async (t: string) =>
      Number(
        await ch(
          `SELECT sum(m + 1) FROM (SELECT max(_kafka_offset) AS m FROM ${t} GROUP BY _kafka_partition)`,
        ),
      );
    const produce = (rate: number, seconds: number) =>
      loadgen.runLoad({
        spec,
        plan: jobs,
        mode: 'kafka',
        rate,
        seconds,
        seed: rate,
        kafka: { brokers: [env.LP_KAFKA_BROKERS] },
      });
    /** The sustained phase's live load, from the generator LP_BENCH_GENERATOR picks. */
    const produceLive = async (
      rate: number,
      seconds: number,
    ): Promise<{ events: number; rate: number }> =>
      GENERATOR === 'node'
        ? produce(rate, seconds)
        : replayLoad({
            spec,
            plan: jobs,
            brokers: [env.LP_KAFKA_BROKERS],
            rate,
            seconds,
            seed: rate,
          });
    let job: SparkJob | undefined;
    const run = Date.now().toString(36);
    const startSpeedJob = (name: string, availableNow: boolean) =>
      startSparkJob(
        env,
        jobsDir,
        'speed_job.py',
        speedJobArgs(env, `${run}-${name}`).filter(
          a => availableNow || a !== '--available-now',
        ),
      );

    try {
      const previous = (() => {
        try {
          return JSON.parse(
            fs.readFileSync(String(process.env.LP_BENCH_OUT), 'utf8'),
          );
        } catch {
          return {};
        }
      })();
      let sustained = previous.sustained;
      let steps = previous.steps;
      let highestSustained = previous.highestSustainedRate;
      let sustainedDate = previous.dates?.sustained ?? previous.date;
      let recordSize = previous.recordSize;
      let ceiling = previous.ceiling;
      let ceilingDate = previous.dates?.ceiling ?? previous.date;
      let paced = previous.paced;
      let pacedDate = previous.dates?.paced;
      if (PHASES.includes('paced')) {
        // The target offered without a live producer on the same cores: a
        // backlog of RATE x SECONDS events read at most RATE x trigger per
        // micro-batch, so the job runs at exactly the target if every
        // micro-batch finishes within its trigger interval.
        const trigger = Number(jobs.speed.triggerIntervalSeconds);
        const total = RATE * SECONDS;
        await resetTopics(admin, [
          { topic: table.topic, numPartitions: partitions },
        ]);
        await createClickHouseTables(env, platformDir, jobs.tables);
        log(`paced: producing a backlog of ${total} events`);
        const backlog = await produce(200_000, total / 200_000);
        log(
          `paced: the job reads ${
            RATE * trigger
          } events per ${trigger} s trigger`,
        );
        job = await startSparkJob(
          env,
          jobsDir,
          'speed_job.py',
          speedJobArgs(env, `${run}-paced`, [
            '--set',
            `speed.maxOffsetsPerTrigger=${RATE * trigger}`,
          ]).filter(a => a !== '--available-now'),
        );
        let first: { at: number; events: number } | undefined;
        let last = { at: Date.now(), events: 0 };
        const started = Date.now();
        while (last.events < backlog.events) {
          if (Date.now() - started > SECONDS * 3000)
            throw new Error(
              `paced: ${last.events} of ${backlog.events} events after ${
                SECONDS * 3
              } s`,
            );
          await sleep(1000);
          const events = await position(table.clickhouseTable).catch(() => 0);
          last = { at: Date.now(), events };
          if (!first && events > 0) first = last;
        }
        job.kill();
        await job.done;
        const seconds = (last.at - first!.at) / 1000;
        const landedRate = Math.round((last.events - first!.events) / seconds);
        paced = {
          targetRate: RATE,
          events: backlog.events,
          eventsPerTrigger: RATE * trigger,
          seconds,
          landedRate,
          // Within 5%: the job kept the target for the whole backlog.
          sustained: landedRate >= 0.95 * RATE,
        };
        pacedDate = new Date().toISOString();
        log(`paced: ${JSON.stringify(paced)}`);
      }
      if (PHASES.includes('sustained')) {
        // Sustained at the target, the job running as deployed.
        await resetTopics(admin, [
          { topic: table.topic, numPartitions: partitions },
          { topic: jobs.kafka.deadLetterTopic, numPartitions: 1 },
        ]);
        await createClickHouseTables(env, platformDir, jobs.tables);
        job = await startSpeedJob('sustained', false);
        await produce(10, 2);
        for (let i = 0; (await position(table.clickhouseTable)) < 10; i++) {
          if (i > 300)
            throw new Error(
              `the speed job did not start:\n${job.output().slice(-3000)}`,
            );
          await sleep(1000);
        }
        /** `rate` events/s for `seconds` while the job runs: what lands, how fresh, how soon it drains. */
        const sustain = async (rate: number, seconds: number) => {
          log(`sustained: ${rate} events/s for ${seconds} s`);
          const base = await position(table.clickhouseTable);
          const samples: Array<{
            at: number;
            rows: number;
            freshnessMs: number;
          }> = [];
          let loading = true;
          const sampler = (async () => {
            while (loading) {
              const rows = await position(table.clickhouseTable);
              const newest = Number(
                await ch(
                  `SELECT toUnixTimestamp64Milli(max(_source_ts)) FROM ${table.clickhouseTable}`,
                ),
              );
              const at = Date.now();
              samples.push({ at, rows: rows - base, freshnessMs: at - newest });
              await sleep(1000);
            }
          })();
          const load = await produceLive(rate, seconds);
          loading = false;
          await sampler;
          const drainStarted = Date.now();
          let drainedSeconds: number | null = null;
          while (Date.now() - drainStarted < 120_000) {
            if ((await position(table.clickhouseTable)) - base >= load.events) {
              drainedSeconds = (Date.now() - drainStarted) / 1000;
              break;
            }
            await sleep(500);
          }
          // Skip the first 10 s (the job's first triggers at the new rate).
          const steady = samples.filter(s => s.at - samples[0].at >= 10_000);
          const landed =
            steady.length > 1
              ? (steady[steady.length - 1].rows - steady[0].rows) /
                ((steady[steady.length - 1].at - steady[0].at) / 1000)
              : 0;
          const out = {
            targetRate: rate,
            seconds,
            generator: GENERATOR,
            producedRate: load.rate,
            landedRate: Math.round(landed),
            landedOfProduced: Math.round((landed / load.rate) * 100) / 100,
            freshnessMs: {
              p50: percentile(
                steady.map(s => s.freshnessMs),
                0.5,
              ),
              p95: percentile(
                steady.map(s => s.freshnessMs),
                0.95,
              ),
            },
            drainedSecondsAfterLoad: drainedSeconds,
            // The generator kept the rate, the job kept up with it while it
            // ran (a backlog growing by 5% would not drain in a longer run),
            // and everything landed within 15 s of the end.
            sustained:
              drainedSeconds !== null &&
              drainedSeconds <= 15 &&
              load.rate >= 0.95 * rate &&
              landed >= 0.95 * load.rate,
          };
          log(JSON.stringify(out));
          return out;
        };
        sustained = await sustain(RATE, SECONDS);
        steps = [];
        for (const rate of STEP_RATES)
          steps.push(await sustain(rate, STEP_SECONDS));
        job.kill();
        await job.done;
        highestSustained = Math.max(
          0,
          ...[sustained, ...steps]
            .filter(x => x.sustained)
            .map(x => x.targetRate),
        );
        sustainedDate = new Date().toISOString();
      }

      if (PHASES.includes('ceiling')) {
        // Ceiling: a backlog drained by the job.
        // The same topic, emptied, read whole from a new checkpoint.
        const backlogTopic = table.topic;
        await resetTopics(admin, [
          { topic: backlogTopic, numPartitions: partitions },
        ]);
        log(`backlog: producing ${BACKLOG} events`);
        // As fast as the generator can: the rate asked for is never reached.
        const backlog = await produce(200_000, BACKLOG / 200_000);
        recordSize = await averageRecordSize(kafka, backlogTopic);
        await createClickHouseTables(env, platformDir, jobs.tables);
        /** From the first rows written to the whole backlog, sampled every 500 ms. */
        const drainRate = async (target: string, total: number) => {
          const started = Date.now();
          let first: { at: number; events: number } | undefined;
          let moved = { at: started, events: 0 };
          for (;;) {
            const at = Date.now();
            const now = await position(target).catch(() => 0);
            if (!first && now > 0) first = { at, events: now };
            if (now !== moved.events) moved = { at, events: now };
            else if (at - moved.at > 180_000)
              throw new Error(
                `${target} stopped at ${now} of ${total} events for 180 s; Kafka engine consumers: ${await ch(
                  'SELECT table, num_messages_read, last_poll_time, exceptions.text FROM system.kafka_consumers FORMAT JSONEachRow',
                ).catch(e => String(e))}`,
              );
            if (first && now >= total) {
              const seconds = (at - first.at) / 1000;
              return {
                events: total,
                seconds,
                eventsPerSecond: Math.round((total - first.events) / seconds),
              };
            }
            if (at - started > 3600_000)
              throw new Error(`${target} reached ${now} of ${total} events`);
            await sleep(500);
          }
        };
        log('ceiling: the speed job drains the backlog');
        job = await startSparkJob(
          env,
          jobsDir,
          'speed_job.py',
          speedJobArgs(env, `${run}-ceiling`),
        );
        const speedCeiling = await drainRate(
          table.clickhouseTable,
          backlog.events,
        );
        job.kill();
        await job.done;
        log(`speed job: ${JSON.stringify(speedCeiling)}`);

        // Reference: ClickHouse's own Kafka table engine draining the same
        // backlog into a copy of the same table (stack/bench/kafkaEngine.mjs).
        const reference = `${table.clickhouseTable}_kafka_engine`;
        const [database, name] = table.clickhouseTable.split('.');
        const createSpeed = await ch(
          `SELECT create_table_query FROM system.tables WHERE database = '${database}' AND name = '${name}' FORMAT TSVRaw`,
        );
        await ch(`DROP TABLE IF EXISTS ${reference}`);
        await ch(
          createSpeed.replace(/^CREATE TABLE \S+/, `CREATE TABLE ${reference}`),
        );
        const consumers = Math.min(partitions, os.cpus().length);
        log(
          `ceiling: ClickHouse's Kafka engine drains the backlog (${consumers} consumers)`,
        );
        for (const sql of kafkaEngine.kafkaEngineStatements({
          table,
          target: reference,
          brokers: env.LP_KAFKA_BROKERS,
          group: `lp-bench-kafka-engine-${run}`,
          consumers,
        }))
          await ch(sql);
        const engineCeiling = await drainRate(
          reference,
          backlog.events,
        ).finally(async () => {
          for (const sql of kafkaEngine.dropKafkaEngineStatements(reference))
            await ch(sql);
        });
        log(`Kafka engine: ${JSON.stringify(engineCeiling)}`);
        // Both hold the same rows: the reference did the same work.
        const figures = (t: string) =>
          ch(
            `SELECT count(), ${
              table.measures.map(m => `sum(\`${m}\`)`).join(', ') || '0'
            } FROM ${t} FINAL WHERE _is_deleted = 0`,
          );
        const [speedFigures, engineFigures] = [
          await figures(table.clickhouseTable),
          await figures(reference),
        ];
        await ch(`DROP TABLE IF EXISTS ${reference}`);

        const perfTopic = `bench-speed-producer-${run}`;
        await resetTopics(admin, [
          { topic: perfTopic, numPartitions: partitions },
        ]);
        log("reference: Kafka's ProducerPerformance");
        const producer = producerPerformance({
          brokers: env.LP_KAFKA_BROKERS,
          topic: perfTopic,
          records: 1_000_000,
          recordSize,
        });
        await admin.deleteTopics({ topics: [perfTopic] });
        ceiling = {
          speedJob: speedCeiling,
          clickhouseKafkaEngine: {
            ...engineCeiling,
            consumers,
            // Live rows and measure sums (FINAL) equal to the speed job's.
            sameRows: speedFigures === engineFigures,
          },
          kafkaProducerPerformance: producer,
          speedJobOfProducer:
            Math.round(
              (speedCeiling.eventsPerSecond / producer.recordsPerSecond) * 100,
            ) / 100,
          speedJobOfKafkaEngine:
            Math.round(
              (speedCeiling.eventsPerSecond / engineCeiling.eventsPerSecond) *
                100,
            ) / 100,
        };
        if (speedFigures !== engineFigures)
          log(
            `the Kafka engine's rows differ from the speed job's: ${engineFigures} vs ${speedFigures}`,
          );
        ceilingDate = new Date().toISOString();
      }

      const results = {
        benchmark:
          'speed layer: Kafka -> Spark Structured Streaming (rendered speed_job.py, local[2]) -> ClickHouse',
        date: new Date().toISOString(),
        machine: `${os.cpus().length} x ${os.cpus()[0]?.model}, ${Math.round(
          os.totalmem() / 2 ** 30,
        )} GiB`,
        partitions,
        recordSize,
        sustained,
        steps,
        highestSustainedRate: highestSustained,
        sustainedRule:
          'the generator kept >= 95% of the rate, >= 95% of it landed while it ran, all landed within 15 s of the end',
        paced,
        ceiling,
        dates: {
          sustained: sustainedDate,
          paced: pacedDate,
          ceiling: ceilingDate,
        },
      };
      if (process.env.LP_BENCH_OUT)
        fs.writeFileSync(
          process.env.LP_BENCH_OUT,
          `${JSON.stringify(results, null, 2)}\n`,
        );
      process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
      expect(sustained?.landedRate).toBeGreaterThan(0);
      expect(ceiling?.speedJob.eventsPerSecond).toBeGreaterThan(0);
      // The reference did the job's work: the same rows (a run without the
      // ceiling phase keeps the previous run's figures).
      expect(
        !PHASES.includes('ceiling') || ceiling?.clickhouseKafkaEngine?.sameRows,
      ).toBe(true);
    } finally {
      job?.kill();
      await admin.disconnect();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
