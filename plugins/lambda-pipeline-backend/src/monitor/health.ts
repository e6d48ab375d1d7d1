import {
  ComponentHealth,
  ConsistencyRun,
  HealthStatus,
  LayerHealth,
  LayerId,
  PipelineHealthResponse,
} from '@internal/backstage-plugin-lambda-pipeline-common';
import {
  ConnectorStatus,
  PodStatus,
  ResourceStatus,
} from '@internal/backstage-plugin-lambda-pipeline-node';
import { Observations, Observed } from './observe';
import { Counters, Positions, countersOf } from './counters';
import { scheduleIntervalMinutes } from './schedule';
import { MonitorTargets } from './targets';

const RANK: Record<HealthStatus, number> = { ok: 0, degraded: 1, down: 2 };
const worst = (statuses: HealthStatus[]) =>
  statuses.reduce<HealthStatus>((w, s) => (RANK[s] > RANK[w] ? s : w), 'ok');

const fmt = (n: number) => n.toLocaleString('en-US');
const GiB = 2 ** 30;

type Component = ComponentHealth;

const component = (
  id: string,
  title: string,
  system: Component['system'],
  status: HealthStatus,
  reason: string,
  evidence: Component['evidence'] = {},
): Component => ({ id, title, system, status, reason, evidence });

/**
 * A probe that got no answer: a data store of the layer that cannot be
 * reached is down; a system that is only watched (Kubernetes, Airflow) makes
 * its component degraded, because the pipeline may still be fine.
 */
function unanswered(
  observed: Observed<unknown>,
  id: string,
  title: string,
  system: Component['system'],
  downWhenUnreachable: boolean,
): Component | undefined {
  if (observed.state !== 'failed') return undefined;
  const { error } = observed;
  const status: HealthStatus =
    downWhenUnreachable &&
    (error.reason === 'unreachable' || error.reason === 'timeout')
      ? 'down'
      : 'degraded';
  const prefix = status === 'down' ? 'cannot be reached' : 'cannot be checked';
  return component(
    id,
    title,
    system,
    status,
    `${title} ${prefix}: ${error.message}`,
    { error: error.reason },
  );
}

/**
 * Kafka Connect's REST API has no restart counts; Strimzi's KafkaConnector
 * status does (`autoRestart.count`): add them to the connector's evidence,
 * and degrade a connector that keeps being restarted.
 */
function withAutoRestarts(
  c: Component | undefined,
  name: string,
  resources: ResourceStatus[] | undefined,
): void {
  const restarts = resources?.find(
    r => r.kind === 'KafkaConnector' && r.name === name,
  )?.autoRestarts;
  if (!c || restarts === undefined) return;
  c.evidence.autoRestarts = restarts;
  if (restarts > 0 && c.status === 'ok') {
    c.status = 'degraded';
    c.reason = `connector ${name} runs, but Strimzi restarted it ${restarts} time(s) after failures: look at its task traces`;
  }
}

/** Pods of a layer (by name prefix): not ready, crash-looping or restarting ones degrade it. */
function podsHealth(
  id: string,
  title: string,
  pods: PodStatus[] | undefined,
  belongs: (pod: PodStatus) => boolean,
): Component | undefined {
  const mine = pods?.filter(belongs) ?? [];
  if (mine.length === 0) return undefined;
  const troubled = mine.filter(
    p => (!p.ready && p.phase !== 'Succeeded') || p.reason,
  );
  const restarts = mine.reduce((n, p) => n + p.restarts, 0);
  const evidence = {
    pods: mine.length,
    notReady: mine.filter(p => !p.ready).length,
    restarts,
  };
  if (troubled.length > 0) {
    return component(
      id,
      title,
      'kubernetes',
      'degraded',
      troubled
        .map(
          p =>
            `${p.name} ${p.ready ? 'ready' : `not ready (${p.phase})`}${
              p.reason ? `, ${p.reason}` : ''
            }${p.restarts ? `, ${p.restarts} restart(s)` : ''}`,
        )
        .join('; '),
      evidence,
    );
  }
  return component(
    id,
    title,
    'kubernetes',
    'ok',
    `${mine.length} pod(s) ready${
      restarts ? `, ${restarts} restart(s) in their lifetime` : ''
    }`,
    evidence,
  );
}

function connectorHealth(
  id: string,
  title: string,
  name: string,
  connectors: Observed<ConnectorStatus[]>,
): Component | undefined {
  if (connectors.state === 'not-configured') return undefined;
  const failed = unanswered(connectors, id, title, 'connect', true);
  if (failed || connectors.state !== 'ok') return failed;
  const c = connectors.value.find(x => x.name === name);
  if (!c) {
    return component(
      id,
      title,
      'connect',
      'down',
      `connector ${name} is not deployed in Kafka Connect`,
      { connector: name },
    );
  }
  const evidence = {
    connector: name,
    state: c.state,
    tasks: c.tasks.length,
    runningTasks: c.tasks.filter(t => t.state === 'RUNNING').length,
  };
  const failedTask = c.tasks.find(t => t.state === 'FAILED');
  if (c.state === 'FAILED' || failedTask) {
    const what =
      c.state === 'FAILED'
        ? `connector ${name} FAILED`
        : `task ${failedTask!.id} of ${name} FAILED`;
    return component(
      id,
      title,
      'connect',
      'down',
      `${what}: ${
        (c.state === 'FAILED' ? c.error : failedTask!.error) ?? 'no trace'
      }. Fix the cause, then restart it ` +
        `(POST /connectors/${name}/restart?includeTasks=true&onlyFailed=true).`,
      evidence,
    );
  }
  if (
    c.state !== 'RUNNING' ||
    c.tasks.length === 0 ||
    c.tasks.some(t => t.state !== 'RUNNING')
  ) {
    const states =
      c.tasks.map(t => `task ${t.id} ${t.state}`).join(', ') || 'no tasks';
    return component(
      id,
      title,
      'connect',
      'degraded',
      `connector ${name} is ${c.state} (${states})`,
      evidence,
    );
  }
  return component(
    id,
    title,
    'connect',
    'ok',
    `connector ${name} and its ${c.tasks.length} task(s) are RUNNING`,
    evidence,
  );
}

function resourceHealth(
  id: string,
  title: string,
  kind: string,
  name: string,
  resources: ResourceStatus[] | undefined,
): Component | undefined {
  if (!resources) return undefined;
  const r = resources.find(x => x.kind === kind && x.name === name);
  if (!r)
    return component(
      id,
      title,
      'kubernetes',
      'down',
      `${kind} ${name} does not exist in the cluster`,
      { kind, name },
    );
  const byReadiness: Record<string, HealthStatus> = {
    ready: 'ok',
    failed: 'down',
    pending: 'degraded',
  };
  const status = byReadiness[r.readiness.state];
  const conditions = r.conditions.map(c => `${c.type}=${c.status}`).join(' ');
  return component(
    id,
    title,
    'kubernetes',
    status,
    `${kind} ${name}: ${r.readiness.message}`,
    {
      kind,
      name,
      readiness: r.readiness.state,
      ...(conditions ? { conditions } : {}),
      ...(r.autoRestarts !== undefined ? { autoRestarts: r.autoRestarts } : {}),
    },
  );
}

function layerReason(
  present: Component[],
  first: Component | undefined,
): string {
  if (present.length === 0)
    return 'nothing is monitored in this layer (no system of it is configured for the environment)';
  return first ? first.reason : `all ${present.length} component(s) ok`;
}

function speedFreshnessText(
  lag: number | null,
  behind: number | null,
  newest: string | null,
): string {
  if (lag === 0)
    return `speed layer is up to date${
      newest ? ` (newest event ${clock(newest)})` : ''
    }`;
  if (behind !== null)
    return `speed layer is ${humanSeconds(behind)} behind (${fmt(
      lag ?? 0,
    )} events)`;
  return 'speed layer freshness unknown';
}

function agreementReason(c: ConsistencyRun): string {
  if (c.status === 'diverged')
    return `${c.diverged} closed window(s) differ between ClickHouse and Snowflake (see consistency)`;
  if (c.status === 'converging')
    return `${c.consistent} window(s) agree; ${c.converging} still converging`;
  return `all ${c.consistent} judged window(s) agree`;
}

function layer(
  id: LayerId,
  title: string,
  components: Array<Component | undefined>,
  freshness?: LayerHealth['freshness'],
): LayerHealth {
  const present = components.filter((c): c is Component => Boolean(c));
  // A layer nothing watches is not known to be ok.
  const status =
    present.length === 0 ? 'degraded' : worst(present.map(c => c.status));
  const first = present.find(c => c.status === status && status !== 'ok');
  return {
    id,
    title,
    status,
    reason: layerReason(present, first),
    ...(freshness ? { freshness } : {}),
    components: present,
  };
}

function ago(from: string | null | undefined, now: Date): number | null {
  return from
    ? Math.max(0, Math.round((now.getTime() - new Date(from).getTime()) / 1000))
    : null;
}

/** A time for people reading a status: 2026-12-01 11:00 UTC (seconds only when not zero). */
function clock(iso: string): string {
  const text = new Date(iso).toISOString().slice(0, 19).replace('T', ' ');
  return `${text.endsWith(':00') ? text.slice(0, 16) : text} UTC`;
}

function humanSeconds(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

/**
 * The health of a pipeline from one round of observations: per layer and
 * per component, ok / degraded / down, each with its reason and evidence.
 * `previous` (the last stored sample) turns counters into growth (new
 * dead-letter events); `consistency` is the last reconciliation run.
 */
export function assessHealth(
  entityRef: string,
  t: MonitorTargets,
  o: Observations,
  previous?: { at: Date; counters: Counters; positions: Positions },
  consistency?: ConsistencyRun,
): PipelineHealthResponse {
  const now = o.at;
  const counters = countersOf(t, o, previous?.positions);
  const notMonitored: string[] = [];
  const skip = (observed: Observed<unknown>, what: string) => {
    if (observed.state === 'not-configured') notMonitored.push(what);
    return observed.state === 'not-configured';
  };

  // --- ingest: source database, Debezium, Kafka, dead letters --------------
  let source: Component | undefined;
  if (!skip(o.source, 'PostgreSQL source (replication slot, change rate)')) {
    source = unanswered(
      o.source,
      'source',
      'Source database',
      'postgres',
      true,
    );
    if (o.source.state === 'ok') {
      const { slot } = o.source.value;
      const evidence = {
        slot: t.replicationSlot,
        active: slot.active,
        retainedWalBytes: slot.lagBytes,
        walStatus: slot.walStatus,
        changes: o.source.value.changes,
      };
      if (!slot.exists) {
        source = component(
          'source',
          'Source database',
          'postgres',
          'down',
          `replication slot ${t.replicationSlot} does not exist: Debezium has not started, or the slot was dropped (a new snapshot is needed)`,
          evidence,
        );
      } else if (slot.walStatus === 'lost') {
        source = component(
          'source',
          'Source database',
          'postgres',
          'down',
          `replication slot ${t.replicationSlot} lost WAL it needed (max_slot_wal_keep_size): re-snapshot through the signal table`,
          evidence,
        );
      } else if (!slot.active) {
        source = component(
          'source',
          'Source database',
          'postgres',
          'degraded',
          `replication slot ${t.replicationSlot} is not in use: the CDC connector is not streaming, and WAL accumulates`,
          evidence,
        );
      } else if ((slot.lagBytes ?? 0) > GiB) {
        source = component(
          'source',
          'Source database',
          'postgres',
          'degraded',
          `replication slot ${t.replicationSlot} holds ${(
            slot.lagBytes! / GiB
          ).toFixed(1)} GiB of WAL the connector has not confirmed`,
          evidence,
        );
      } else {
        source = component(
          'source',
          'Source database',
          'postgres',
          'ok',
          `replication slot ${t.replicationSlot} is active, ${fmt(
            slot.lagBytes ?? 0,
          )} bytes of WAL unconfirmed`,
          evidence,
        );
      }
    }
  }
  const cdc = skip(o.connectors, 'Kafka Connect (CDC and lake sink connectors)')
    ? undefined
    : connectorHealth(
        'cdc-connector',
        'CDC connector',
        t.cdcConnector,
        o.connectors,
      );

  let topics: Component | undefined;
  let deadLetter: Component | undefined;
  if (!skip(o.topics, 'Kafka (topics, offsets, dead letters, lake sink lag)')) {
    topics = unanswered(o.topics, 'kafka', 'Kafka', 'kafka', true);
    if (o.topics.state === 'ok') {
      const missing = o.topics.value.missing.filter(m =>
        t.cdcTopics.includes(m),
      );
      const partitions = t.cdcTopics.reduce(
        (n, topic) =>
          n +
          (o.topics.state === 'ok'
            ? o.topics.value.topics[topic]?.length ?? 0
            : 0),
        0,
      );
      topics = missing.length
        ? component(
            'kafka',
            'Kafka',
            'kafka',
            'down',
            `CDC topic(s) ${missing.join(', ')} do not exist`,
            { missingTopics: missing.join(', ') },
          )
        : component(
            'kafka',
            'Kafka',
            'kafka',
            'ok',
            `${
              t.cdcTopics.length
            } CDC topic(s), ${partitions} partitions, ${fmt(
              counters.ingestOffsets ?? 0,
            )} events`,
            {
              topics: t.cdcTopics.length,
              partitions,
              events: counters.ingestOffsets,
            },
          );
      const total = counters.deadLetters;
      if (total === null) {
        deadLetter = component(
          'dead-letter',
          'Dead-letter topic',
          'kafka',
          'degraded',
          `dead-letter topic ${t.deadLetterTopic} does not exist`,
          {
            topic: t.deadLetterTopic,
          },
        );
      } else {
        const grown =
          previous && previous.counters.deadLetters !== null
            ? total - previous.counters.deadLetters
            : null;
        const since = previous
          ? humanSeconds(
              Math.round((now.getTime() - previous.at.getTime()) / 1000),
            )
          : '';
        deadLetter =
          grown !== null && grown > 0
            ? component(
                'dead-letter',
                'Dead-letter topic',
                'kafka',
                'degraded',
                `${fmt(grown)} new event(s) in ${
                  t.deadLetterTopic
                } in the last ${since}: read their lp.error headers, fix the cause, then replay them`,
                { topic: t.deadLetterTopic, total, newSinceLastSample: grown },
              )
            : component(
                'dead-letter',
                'Dead-letter topic',
                'kafka',
                'ok',
                total === 0
                  ? 'no dead-letter events'
                  : `${fmt(total)} dead-letter event(s), none new${
                      since ? ` in the last ${since}` : ''
                    }`,
                { topic: t.deadLetterTopic, total, newSinceLastSample: grown },
              );
      }
    }
  }
  const resources =
    o.kubernetes.state === 'ok' ? o.kubernetes.value.resources : undefined;
  skip(o.kubernetes, 'Kubernetes (Strimzi and Spark operator resources, pods)');
  const k8sUnanswered = unanswered(
    o.kubernetes,
    'kubernetes',
    'Kubernetes',
    'kubernetes',
    false,
  );
  const kafkaCluster = resourceHealth(
    'kafka-cluster',
    'Kafka cluster',
    'Kafka',
    t.kafkaCluster,
    resources,
  );
  const connectCluster = resourceHealth(
    'connect-cluster',
    'Kafka Connect cluster',
    'KafkaConnect',
    t.kafkaConnect,
    resources,
  );

  withAutoRestarts(cdc, t.cdcConnector, resources);
  const pods =
    o.kubernetes.state === 'ok' ? o.kubernetes.value.pods : undefined;
  const ingest = layer('ingest', 'CDC / ingest', [
    source,
    cdc,
    kafkaCluster,
    connectCluster,
    podsHealth('ingest-pods', 'Kafka, Connect and PostgreSQL pods', pods, p =>
      [t.kafkaCluster, t.kafkaConnect, 'postgres'].some(prefix =>
        p.name.startsWith(`${prefix}-`),
      ),
    ),
    topics,
    deadLetter,
    k8sUnanswered,
  ]);

  // --- speed: the streaming job and ClickHouse -------------------------------
  const speedJob = resourceHealth(
    'speed-job',
    'Speed job',
    'SparkApplication',
    t.speedApplication,
    resources,
  );
  let speedStore: Component | undefined;
  let speedFreshness: LayerHealth['freshness'];
  if (!skip(o.speed, 'ClickHouse (speed layer)')) {
    speedStore = unanswered(
      o.speed,
      'clickhouse',
      'ClickHouse',
      'clickhouse',
      true,
    );
    if (o.speed.state === 'ok') {
      const newest = counters.speedNewestEvent;
      const lastInsert =
        o.speed.value
          .map(s => s.lastInsert)
          .filter(Boolean)
          .sort()
          .pop() ?? null;
      const lag = counters.speedLag;
      const evidence = {
        lagEvents: lag,
        newestEventTime: newest,
        lastInsert,
        secondsSinceLastInsert: ago(lastInsert, now),
      };
      const allowed = Math.max(
        1,
        t.targetEventsPerSecond * Math.max(60, 4 * t.triggerIntervalSeconds),
      );
      if (lag === null) {
        speedStore = component(
          'clickhouse',
          'ClickHouse',
          'clickhouse',
          'degraded',
          'speed-layer lag unknown (Kafka offsets not available)',
          evidence,
        );
      } else if (lag > 0 && lastInsert === null) {
        speedStore = component(
          'clickhouse',
          'ClickHouse',
          'clickhouse',
          'down',
          `the speed layer wrote nothing in the last ${humanSeconds(
            3600,
          )} while ${fmt(lag)} events wait in Kafka: is the speed job running?`,
          evidence,
        );
      } else if (lag > allowed) {
        speedStore = component(
          'clickhouse',
          'ClickHouse',
          'clickhouse',
          'degraded',
          `the speed layer is ${fmt(
            lag,
          )} events behind Kafka (more than ${humanSeconds(
            Math.round(allowed / t.targetEventsPerSecond),
          )} at the target rate)`,
          evidence,
        );
      } else {
        speedStore = component(
          'clickhouse',
          'ClickHouse',
          'clickhouse',
          'ok',
          lag === 0
            ? 'the speed layer has every event Kafka holds'
            : `the speed layer is ${fmt(lag)} events behind Kafka`,
          evidence,
        );
      }
      const behind = lag && lag > 0 ? ago(newest, now) : 0;
      speedFreshness = {
        ...(behind !== null ? { seconds: behind } : {}),
        text: speedFreshnessText(lag, behind, newest),
      };
    }
  }
  const speed = layer(
    'speed',
    'Speed layer',
    [
      speedJob,
      podsHealth('speed-pods', 'Speed job and ClickHouse pods', pods, p =>
        [t.speedApplication, 'clickhouse'].some(prefix =>
          p.name.startsWith(`${prefix}-`),
        ),
      ),
      speedStore,
    ],
    speedFreshness,
  );

  // --- batch: lake sink, Snowflake loads, Airflow -----------------------------
  const lakeSink = skip(o.connectors, '')
    ? undefined
    : connectorHealth(
        'lake-sink',
        'Lake sink connector',
        t.lakeSinkConnector,
        o.connectors,
      );
  withAutoRestarts(lakeSink, t.lakeSinkConnector, resources);
  let lakeLag: Component | undefined;
  if (o.lakeSinkLag.state === 'ok') {
    const lag = o.lakeSinkLag.value.totalLag;
    const grown =
      previous?.counters.lakeSinkLag !== null &&
      previous?.counters.lakeSinkLag !== undefined
        ? lag - previous.counters.lakeSinkLag
        : null;
    lakeLag = component(
      'lake-sink-lag',
      'Lake sink consumer group',
      'kafka',
      grown !== null && grown > t.targetEventsPerSecond * 60
        ? 'degraded'
        : 'ok',
      `consumer group ${t.lakeSinkGroup} is ${fmt(lag)} events behind${
        grown !== null
          ? ` (${grown >= 0 ? '+' : ''}${fmt(grown)} since the last sample)`
          : ''
      }`,
      {
        group: t.lakeSinkGroup,
        lag,
        state: o.lakeSinkLag.value.state,
        members: o.lakeSinkLag.value.members,
      },
    );
  } else {
    lakeLag = unanswered(
      o.lakeSinkLag,
      'lake-sink-lag',
      'Lake sink consumer group',
      'kafka',
      false,
    );
  }
  let batchStore: Component | undefined;
  let batchFreshness: LayerHealth['freshness'];
  if (!skip(o.batch, 'Snowflake (batch layer)')) {
    batchStore = unanswered(
      o.batch,
      'snowflake',
      'Snowflake',
      'snowflake',
      true,
    );
    if (o.batch.state === 'ok') {
      const marks = o.batch.value;
      const missing = t.datasets
        .filter(d => !marks.some(m => m.source === d.source))
        .map(d => d.source);
      // Complete up to the oldest table's watermark (none until every table was loaded).
      const completeUpTo = counters.batchCompleteUpTo;
      const loadedAt =
        marks
          .map(m => m.loadedAt)
          .filter((x): x is string => Boolean(x))
          .sort()
          .pop() ?? null;
      const interval = scheduleIntervalMinutes(t.batchSchedule);
      const late = (interval * 2 + t.batchDeadlineMinutes) * 60;
      const sinceLoad = ago(loadedAt, now);
      const evidence = {
        completeUpTo,
        lastLoad: loadedAt,
        secondsSinceLastLoad: sinceLoad,
        lagEvents: counters.batchLag,
      };
      if (marks.length === 0) {
        batchStore = component(
          'snowflake',
          'Snowflake',
          'snowflake',
          'degraded',
          'no batch load recorded yet (the batch DAG has not loaded this pipeline)',
          evidence,
        );
      } else if (sinceLoad !== null && sinceLoad > late) {
        batchStore = component(
          'snowflake',
          'Snowflake',
          'snowflake',
          'degraded',
          `the last batch load was ${humanSeconds(
            sinceLoad,
          )} ago; with the schedule ${t.batchSchedule} one was due by now`,
          evidence,
        );
      } else {
        batchStore = component(
          'snowflake',
          'Snowflake',
          'snowflake',
          'ok',
          `last batch load ${
            sinceLoad !== null
              ? `${humanSeconds(sinceLoad)} ago`
              : 'time unknown'
          }${missing.length ? `; not loaded yet: ${missing.join(', ')}` : ''}`,
          evidence,
        );
      }
      batchFreshness = {
        ...(completeUpTo ? { completeUpTo } : {}),
        text: completeUpTo
          ? `batch complete up to ${clock(completeUpTo)} (${humanSeconds(
              ago(completeUpTo, now) ?? 0,
            )} ago)`
          : 'batch layer has no complete window yet',
      };
    }
  }
  let dagHealth: Component[] = [];
  if (!skip(o.dags, 'Airflow (batch, dbt and reconciliation DAGs)')) {
    const failed = unanswered(o.dags, 'airflow', 'Airflow', 'airflow', false);
    if (failed) dagHealth = [failed];
    if (o.dags.state === 'ok') {
      dagHealth = o.dags.value.map(d => {
        const id = `dag-${d.dagId}`;
        const title = `DAG ${d.dagId}`;
        const newest = d.runs[0];
        const evidence = {
          dagId: d.dagId,
          lastRun: newest?.runId ?? null,
          lastState: newest?.state ?? null,
          failedTasks: d.failedTasks.map(f => f.taskId).join(', ') || null,
        };
        if (!d.dag)
          return component(
            id,
            title,
            'airflow',
            'degraded',
            `${d.dagId} is not in Airflow: is the DAG repository synced (git-sync)?`,
            evidence,
          );
        if (d.dag.hasImportErrors)
          return component(
            id,
            title,
            'airflow',
            'down',
            `${d.dagId} has import errors: see Airflow's DAG import errors`,
            evidence,
          );
        if (d.dag.isPaused)
          return component(
            id,
            title,
            'airflow',
            'degraded',
            `${d.dagId} is paused`,
            evidence,
          );
        if (!newest)
          return component(
            id,
            title,
            'airflow',
            'ok',
            `${d.dagId} has not run yet`,
            evidence,
          );
        if (newest.state === 'failed') {
          const tasks = d.failedTasks.map(f => f.taskId).join(', ');
          return component(
            id,
            title,
            'airflow',
            d.dagId === t.dagIds.batchLoad ? 'down' : 'degraded',
            `the newest run of ${d.dagId} failed${
              tasks ? ` (task ${tasks})` : ''
            }`,
            evidence,
          );
        }
        const started = newest.startDate ?? newest.queuedAt;
        const running = ago(started, now);
        const duration =
          newest.endDate && started
            ? Math.round(
                (new Date(newest.endDate).getTime() -
                  new Date(started).getTime()) /
                  1000,
              )
            : running;
        if (
          d.dagId === t.dagIds.batchLoad &&
          duration !== null &&
          duration > t.batchDeadlineMinutes * 60
        ) {
          return component(
            id,
            title,
            'airflow',
            'degraded',
            `run ${newest.runId} of ${d.dagId} ${
              newest.endDate ? 'took' : 'has been running for'
            } ${humanSeconds(duration)}, past its ${
              t.batchDeadlineMinutes
            } min deadline`,
            { ...evidence, durationSeconds: duration, deadlineMissed: true },
          );
        }
        return component(
          id,
          title,
          'airflow',
          'ok',
          `the newest run of ${d.dagId} is ${newest.state}`,
          evidence,
        );
      });
    }
  }
  const batchDags = dagHealth.filter(
    c => c.evidence.dagId === t.dagIds.batchLoad || c.id === 'airflow',
  );
  const batch = layer(
    'batch',
    'Batch layer',
    [lakeSink, lakeLag, batchStore, ...batchDags],
    batchFreshness,
  );

  // --- serving: what people query, and whether the layers agree ---------------
  const servingDags = dagHealth.filter(
    c =>
      c.evidence.dagId === t.dagIds.dbt ||
      c.evidence.dagId === t.dagIds.reconciliation,
  );
  const speedServing =
    o.speed.state === 'not-configured'
      ? undefined
      : component(
          'speed-view',
          'Fresh view (ClickHouse)',
          'clickhouse',
          o.speed.state === 'ok' ? 'ok' : 'down',
          o.speed.state === 'ok'
            ? 'ClickHouse answers queries'
            : 'ClickHouse does not answer: the fresh view is unavailable',
        );
  const batchServing =
    o.batch.state === 'not-configured'
      ? undefined
      : component(
          'batch-view',
          'Complete view (Snowflake)',
          'snowflake',
          o.batch.state === 'ok' ? 'ok' : 'down',
          o.batch.state === 'ok'
            ? 'Snowflake answers queries'
            : 'Snowflake does not answer: the complete view is unavailable',
        );
  const agreement = consistency
    ? component(
        'consistency',
        'Layers agree',
        'monitor',
        consistency.status === 'diverged' ? 'degraded' : 'ok',
        agreementReason(consistency),
        {
          checkedAt: consistency.checkedAt,
          consistent: consistency.consistent,
          converging: consistency.converging,
          diverged: consistency.diverged,
        },
      )
    : undefined;
  const serving = layer('serving', 'Serving', [
    speedServing,
    batchServing,
    ...servingDags,
    agreement,
  ]);

  const layers = [ingest, speed, batch, serving];
  const status = worst(layers.map(l => l.status));
  const culprit = layers.find(l => l.status === status && status !== 'ok');
  const nothing = layers.every(l => l.components.length === 0);
  let reason = culprit
    ? `${culprit.title}: ${culprit.reason}`
    : 'every layer is ok';
  if (nothing) {
    reason = `nothing is monitored: environment '${t.environment}' has no systems configured; add lambdaPipelines.environments.${t.environment} to app-config`;
  }
  return {
    entityRef,
    environment: t.environment,
    status,
    reason,
    checkedAt: now.toISOString(),
    durationMs: o.durationMs,
    layers,
    notMonitored: notMonitored.filter(Boolean),
  };
}
