// End to end on the demo pipeline scripts/start.sh created and runs (called
// by scripts/smoke-start.mjs, at a low rate so the test command stays short):
//   1. the pipeline is live in the plugin's API: events/s through the speed
//      layer, fresh rows, every layer healthy;
//   2. poison messages in the CDC topic end in the dead-letter topic and are
//      counted by the backend (the tab's dead-letter card);
//   3. faults while the load runs, one at a time: ClickHouse, the speed job,
//      Kafka Connect and Kafka itself are killed (SIGKILL) and restarted, and
//      the pipeline recovers each time;
//   4. once the load stops and both layers caught up, a batch cycle (batch
//      job, dbt build, reconciliation) passes, and the source, the speed
//      layer and the batch layer hold exactly the same live rows: no missing
//      and no duplicate keys, equal counts and exact sums.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { STATE_DIR } from '../stack/lib/context.mjs';
import { readPlatform } from '../stack/pipeline/platform.mjs';
import {
  clickhouseOf,
  connectApi,
  kafkaOf,
  snowflakeOf,
  sourceConnection,
} from '../stack/pipeline/setup.mjs';

const root = path.resolve(
  path.dirname(new URL(import.meta.url).pathname),
  '..',
);
const sleep = ms => new Promise(r => setTimeout(r, ms));
const cli = (...args) =>
  execFileSync(process.execPath, [path.join(root, 'stack/cli.mjs'), ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 20 * 60_000,
  });

export async function pipelineEndToEnd({
  name,
  backend,
  token,
  check,
  progress,
}) {
  const env = JSON.parse(cli('env', '--json'));
  const p = readPlatform(
    path.join(root, '.lp-repos', 'checkouts', `${name}-platform`),
  );
  const table = p.plan.tables[0];
  const auth = { headers: { Authorization: `Bearer ${token}` } };
  const api = async route => {
    const res = await fetch(`${backend}/api/lambda-pipeline${route}`, auth);
    return {
      status: res.status,
      body: await res.json().catch(() => undefined),
    };
  };
  const status = () => JSON.parse(cli('pipeline', 'status', name, '--json'))[0];
  const ch = clickhouseOf(env);
  const chQuery = async query => {
    const rs = await ch.query({ query, format: 'JSONEachRow' });
    return rs.json();
  };
  const admin = kafkaOf(env).admin();
  const waitUntil = async (what, probe, seconds) => {
    const started = Date.now();
    let reported = Date.now();
    let last;
    for (;;) {
      try {
        last = await probe();
        if (last) {
          progress(
            `${what}: after ${Math.round((Date.now() - started) / 1000)} s`,
          );
          return last;
        }
      } catch (error) {
        last = error;
      }
      if (Date.now() - started > seconds * 1000) {
        progress(`${what}: not within ${seconds} s (${last?.message ?? last})`);
        return undefined;
      }
      if (Date.now() - reported > 20_000) {
        reported = Date.now();
        progress(
          `waiting: ${what} (${Math.round((Date.now() - started) / 1000)} s)`,
        );
      }
      await sleep(2000);
    }
  };
  const speedPosition = async () =>
    Number(
      (await chQuery(`SELECT count() AS n FROM ${table.clickhouseTable}`))[0].n,
    );
  /** The speed layer takes rows again: some written after `sinceMs` (wall clock). */
  const speedAdvances = async sinceMs =>
    waitUntil(
      'the speed layer takes new rows',
      async () =>
        Number(
          (
            await chQuery(
              `SELECT toUnixTimestamp64Milli(max(_ingested_at)) AS t FROM ${table.clickhouseTable}`,
            )
          )[0].t,
        ) > sinceMs,
      240,
    );

  try {
    await admin.connect();
    // 1. Live.
    const live = await waitUntil(
      `pipeline ${name} live in GET /pipelines (events/s through the speed layer, fresh rows)`,
      async () => {
        const list = await api('/pipelines');
        const item = list.body?.items?.find(i => i.name === name);
        const fresh =
          item?.freshness?.speedNewestEvent &&
          Date.now() - Date.parse(item.freshness.speedNewestEvent) < 120_000;
        return item?.throughput?.eventsPerSecond > 0 && fresh
          ? item
          : undefined;
      },
      240,
    );
    check(
      `the demo pipeline '${name}' created by start.sh is live: events/s through the speed layer, rows fresh`,
      Boolean(live),
      JSON.stringify(live),
    );
    const healthy = await waitUntil(
      'every layer healthy (batch layer after its first cycle)',
      async () => {
        const h = await api(`/pipelines/default/${name}/health`);
        return h.body?.status === 'ok' ? h.body : undefined;
      },
      300,
    );
    check(
      `GET /pipelines/default/${name}/health: every layer ok`,
      Boolean(healthy),
      JSON.stringify(
        (await api(`/pipelines/default/${name}/health`)).body,
      ).slice(0, 1200),
    );

    // 2. Poison messages.
    const dlqEnd = async () =>
      (await admin.fetchTopicOffsets(p.plan.kafka.deadLetterTopic)).reduce(
        (n, o) => n + Number(o.high),
        0,
      );
    const dlqBefore = await dlqEnd();
    const producer = kafkaOf(env).producer();
    await producer.connect();
    await producer.send({
      topic: table.topic,
      messages: Array.from({ length: 5 }, (_, i) => ({
        key: JSON.stringify({ order_id: -1 - i }),
        value: `not json {${i}`,
      })),
    });
    await producer.disconnect();
    const inDlq = await waitUntil(
      'the poison messages in the dead-letter topic',
      async () => ((await dlqEnd()) - dlqBefore >= 5 ? true : undefined),
      180,
    );
    check(
      '5 poison messages in the CDC topic end in the dead-letter topic',
      Boolean(inDlq),
    );
    const counted = await waitUntil(
      "the backend counting them (the tab's dead-letter card)",
      async () => {
        const t = await api(`/pipelines/default/${name}/throughput`);
        return (t.body?.deadLetters?.total ?? 0) >= 5
          ? t.body.deadLetters
          : undefined;
      },
      180,
    );
    check(
      'GET .../throughput counts the dead letters (the tab shows them)',
      Boolean(counted),
      JSON.stringify(counted),
    );

    // 3. Faults, one at a time, while the load runs.
    const pidOf = component =>
      Number(
        fs.readFileSync(
          path.join(STATE_DIR, 'run', `${component}.pid`),
          'utf8',
        ),
      );
    const killGroup = pid => {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        process.kill(pid, 'SIGKILL');
      }
    };
    /** The speed job's pid once it has run a while (not one being restarted). */
    const runningSpeedJob = () =>
      waitUntil(
        'the speed job running',
        async () => {
          const s = status().speed;
          const alive = (() => {
            try {
              process.kill(s.pid, 0);
              return true;
            } catch {
              return false;
            }
          })();
          return s.state === 'running' &&
            alive &&
            Date.now() - Date.parse(s.startedAt) > 20_000
            ? s.pid
            : undefined;
        },
        240,
      );
    for (const component of ['clickhouse', 'speed job', 'connect', 'kafka']) {
      const speedPid =
        component === 'speed job' ? await runningSpeedJob() : undefined;
      const restartsBefore = status().speed.restarts;
      progress(
        `fault: killing ${component} (SIGKILL) while ${
          status().load.achieved
        } events/s load`,
      );
      if (component === 'speed job') {
        killGroup(speedPid);
      } else {
        killGroup(pidOf(component));
        await sleep(5000);
        cli('up', component);
      }
      const recovered = Date.now();
      const advanced = await speedAdvances(recovered);
      const cdc = await waitUntil(
        'Debezium running',
        async () => {
          const s = await connectApi(
            env,
            'GET',
            `/connectors/${p.cdc.metadata.name}/status`,
          );
          return s.body?.tasks?.[0]?.state === 'RUNNING' ? true : undefined;
        },
        180,
      );
      check(
        `fault: ${component} killed and restarted; the pipeline recovers (speed layer takes rows again, Debezium running)`,
        Boolean(advanced && cdc),
        `speed rows now ${await speedPosition().catch(() => '?')}`,
      );
      if (component === 'speed job') {
        check(
          'the speed job was restarted by its supervisor (as restartPolicy: Always)',
          status().speed.restarts > restartsBefore,
        );
      }
    }

    // 4. Drain, batch, compare.
    progress('stopping the load; waiting for both layers to catch up');
    cli('pipeline', 'stop-load', name);
    const ends = async () =>
      Object.fromEntries(
        (await admin.fetchTopicOffsets(table.topic)).map(o => [
          o.partition,
          Number(o.high),
        ]),
      );
    // Debezium has shipped everything once its task runs and the topic's
    // end has not moved for 15 s (longer than a retry pause after a fault).
    let previous = '';
    let since = Date.now();
    await waitUntil(
      'the CDC topic to stop growing',
      async () => {
        const now = JSON.stringify(await ends());
        if (now !== previous) {
          previous = now;
          since = Date.now();
          return undefined;
        }
        const task = await connectApi(
          env,
          'GET',
          `/connectors/${p.cdc.metadata.name}/status`,
        );
        return task.body?.tasks?.[0]?.state === 'RUNNING' &&
          Date.now() - since >= 15_000
          ? true
          : undefined;
      },
      300,
    );
    const end = await ends();
    const caughtUp = async group => {
      const [committed] = await admin.fetchOffsets({
        groupId: group,
        topics: [table.topic],
      });
      return committed.partitions.every(
        c => Number(c.offset) >= end[c.partition],
      );
    };
    const speedDone = await waitUntil(
      'the speed job at the end of the topic',
      async () => {
        const rows = await chQuery(
          `SELECT _kafka_partition AS p, max(_kafka_offset) AS o FROM ${table.clickhouseTable} GROUP BY p`,
        );
        const max = Object.fromEntries(rows.map(r => [r.p, Number(r.o)]));
        // The last offsets may be poison messages (dead letters, never rows); within 5 of the end.
        return Object.entries(end).every(
          ([part, e]) => e === 0 || (max[part] ?? -1) >= e - 6,
        )
          ? true
          : undefined;
      },
      300,
    );
    const lakeDone = await waitUntil(
      'the Iceberg sink at the end of the topic',
      () =>
        caughtUp(`connect-${p.lake.metadata.name}`).then(ok => ok || undefined),
      300,
    );
    check(
      'after the faults, the speed job and the lake sink reach the end of the CDC topic',
      Boolean(speedDone && lakeDone),
    );
    // A few seconds for the speed job's last micro-batch to be written, merged by FINAL.
    await sleep(10_000);
    progress('batch cycle: batch job, dbt build, reconciliation');
    let cycle;
    try {
      cycle = JSON.parse(cli('pipeline', 'batch', name));
    } catch (error) {
      cycle = JSON.parse(error.stdout || '{}');
    }
    check(
      'a batch cycle passes: batch job, dbt build --target snowflake, reconciliation',
      ['batch', 'dbt', 'reconciliation'].every(s => cycle?.steps?.[s]?.ok),
      JSON.stringify(cycle?.steps),
    );

    const source = new pg.Client(sourceConnection(env, p));
    await source.connect();
    const sf = await snowflakeOf(env);
    try {
      const t = p.spec.spec.source.postgres.tables[0];
      const [pgRow] = (
        await source.query(
          `SELECT count(*)::text AS n, count(DISTINCT order_id)::text AS keys, coalesce(sum(amount), 0)::text AS amount, coalesce(sum(quantity), 0)::text AS quantity FROM "${t.schema}"."${t.table}"`,
        )
      ).rows;
      const [chRow] = await chQuery(
        `SELECT toString(count()) AS n, toString(uniqExact(order_id)) AS keys, toString(sum(amount)) AS amount, toString(sum(quantity)) AS quantity FROM ${table.clickhouseTable} FINAL`,
      );
      const [sfRow] = await sf.query(
        `SELECT TO_VARCHAR(COUNT(*)) AS N, TO_VARCHAR(COUNT(DISTINCT ORDER_ID)) AS KEYS, TO_VARCHAR(COALESCE(SUM(AMOUNT), 0)) AS AMOUNT, TO_VARCHAR(COALESCE(SUM(QUANTITY), 0)) AS QUANTITY FROM ${table.snowflakeTable} WHERE NOT _IS_DELETED`,
      );
      const norm = r => ({
        rows: String(r.n ?? r.N),
        keys: String(r.keys ?? r.KEYS),
        amount: Number(r.amount ?? r.AMOUNT).toFixed(2),
        quantity: String(r.quantity ?? r.QUANTITY),
      });
      const [a, b, c] = [norm(pgRow), norm(chRow), norm(sfRow)];
      progress(
        `source ${JSON.stringify(a)}; speed ${JSON.stringify(
          b,
        )}; batch ${JSON.stringify(c)}`,
      );
      check(
        'after the faults the speed layer holds exactly the source rows: no missing, no duplicates, exact sums',
        JSON.stringify(a) === JSON.stringify(b) && b.rows === b.keys,
        `source ${JSON.stringify(a)} speed ${JSON.stringify(b)}`,
      );
      check(
        'after the faults the batch layer holds exactly the source rows: no missing, no duplicates, exact sums',
        JSON.stringify(a) === JSON.stringify(c) && c.rows === c.keys,
        `source ${JSON.stringify(a)} batch ${JSON.stringify(c)}`,
      );
      const results = await sf
        .query(
          `SELECT STATUS, COUNT(*) AS N FROM ${p.plan.reconciliation.resultsTable} WHERE CHECKED_AT = (SELECT MAX(CHECKED_AT) FROM ${p.plan.reconciliation.resultsTable}) GROUP BY STATUS`,
        )
        .catch(error => [{ STATUS: `unreadable: ${error.message}`, N: 1 }]);
      check(
        'the reconciliation of the last cycle finds no diverged window',
        results.length > 0 &&
          results.every(
            r =>
              r.STATUS !== 'diverged' &&
              !String(r.STATUS).startsWith('unreadable'),
          ),
        JSON.stringify(results),
      );
    } finally {
      await source.end();
      await sf.close();
    }
  } finally {
    await admin.disconnect().catch(() => undefined);
    await ch.close();
  }
}
