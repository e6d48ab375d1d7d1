import {
  ConsumerLag,
  DeadLetterPoint,
  LagPoint,
  PipelineThroughputResponse,
  StageId,
  StageThroughput,
  ThroughputPoint,
} from '@internal/backstage-plugin-lambda-pipeline-common';
import { Counters, NumericCounter } from './counters';
import { scheduleIntervalMinutes } from './schedule';
import { MonitorTargets } from './targets';

export type Sample = { at: Date; counters: Counters };

const STAGES: Array<{
  id: StageId;
  title: string;
  counter: NumericCounter;
  backlog?: NumericCounter;
  upstream?: StageId;
}> = [
  {
    id: 'source',
    title: 'Source changes (PostgreSQL)',
    counter: 'sourceChanges',
  },
  {
    id: 'ingest',
    title: 'Kafka ingest (Debezium)',
    counter: 'ingestOffsets',
    upstream: 'source',
  },
  {
    id: 'speed',
    title: 'Speed-layer writes (ClickHouse)',
    counter: 'speedOffsets',
    backlog: 'speedLag',
    upstream: 'ingest',
  },
  {
    id: 'batch',
    title: 'Batch loads (Snowflake)',
    counter: 'batchOffsets',
    backlog: 'batchLag',
    upstream: 'ingest',
  },
];

/** Points over which "keeping up" is judged (the newest ones). */
const JUDGE_POINTS = 5;
/** A backlog that grows by more than this share of the input is falling behind. */
const FALLING_BEHIND = 0.05;

const round = (n: number) => Math.round(n * 10) / 10;

/** Events/s between consecutive samples; a counter that went back (reset, recreated topic) gives no point. */
function series(samples: Sample[], counter: NumericCounter): ThroughputPoint[] {
  const points: ThroughputPoint[] = [];
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1].counters[counter];
    const b = samples[i].counters[counter];
    const seconds =
      (samples[i].at.getTime() - samples[i - 1].at.getTime()) / 1000;
    if (a === null || b === null || b < a || seconds <= 0) continue;
    points.push({
      t: samples[i].at.toISOString(),
      eventsPerSecond: round((b - a) / seconds),
    });
  }
  return points;
}

/** Growth of a counter between the first and last of `window` samples, or null if unknown. */
function growth(window: Sample[], counter: NumericCounter): number | null {
  const first = window[0]?.counters[counter];
  const last = window[window.length - 1]?.counters[counter];
  return first === null ||
    first === undefined ||
    last === null ||
    last === undefined
    ? null
    : last - first;
}

const LAGS: Array<{
  id: ConsumerLag['id'];
  title: string;
  counter: NumericCounter;
}> = [
  { id: 'speed', title: 'Speed job (Spark → ClickHouse)', counter: 'speedLag' },
  {
    id: 'lake-sink',
    title: 'Lake sink (Kafka Connect → Iceberg)',
    counter: 'lakeSinkLag',
  },
  {
    id: 'batch',
    title: 'Batch load (Iceberg → Snowflake)',
    counter: 'batchLag',
  },
];

/** A gauge's value at every sample that has it. */
function gauge(samples: Sample[], counter: NumericCounter): LagPoint[] {
  return samples.flatMap(sample => {
    const value = sample.counters[counter];
    return value === null
      ? []
      : [{ t: sample.at.toISOString(), events: value }];
  });
}

/** A counter's growth per sampling interval (a reset gives no point). */
function arrivals(
  samples: Sample[],
  counter: NumericCounter,
): DeadLetterPoint[] {
  const points: DeadLetterPoint[] = [];
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1].counters[counter];
    const b = samples[i].counters[counter];
    if (a === null || b === null || b < a) continue;
    points.push({ t: samples[i].at.toISOString(), newEvents: b - a });
  }
  return points;
}

/**
 * Throughput per stage from stored samples (oldest first), against the
 * spec's target, and the stage that holds the pipeline back: the first one
 * whose backlog grows while its input flows (the batch layer only once two
 * of its loads are in the samples, since it moves in steps).
 */
export function computeThroughput(
  entityRef: string,
  t: MonitorTargets,
  samples: Sample[],
  sampleIntervalSeconds: number,
): PipelineThroughputResponse {
  const stages: StageThroughput[] = STAGES.map(stage => {
    const points = series(samples, stage.counter);
    const current =
      points.length > 0 ? points[points.length - 1].eventsPerSecond : null;
    const latest = samples[samples.length - 1]?.counters;
    return {
      id: stage.id,
      title: stage.title,
      current,
      ofTarget:
        current === null
          ? null
          : round((current / t.targetEventsPerSecond) * 100) / 100,
      backlog: stage.backlog && latest ? latest[stage.backlog] : null,
      series: points,
    };
  });
  const byId = new Map(stages.map(s => [s.id, s]));
  const window = samples.slice(-(JUDGE_POINTS + 1));
  const spanSeconds =
    window.length > 1
      ? (window[window.length - 1].at.getTime() - window[0].at.getTime()) / 1000
      : 0;
  const batchSpanSeconds =
    samples.length > 1
      ? (samples[samples.length - 1].at.getTime() - samples[0].at.getTime()) /
        1000
      : 0;
  const batchIntervalSeconds = scheduleIntervalMinutes(t.batchSchedule) * 60;

  let bottleneck: PipelineThroughputResponse['bottleneck'] = null;
  for (const stage of STAGES.filter(s => s.upstream)) {
    const upstream = STAGES.find(s => s.id === stage.upstream)!;
    if (stage.id === 'batch' && batchSpanSeconds < 2 * batchIntervalSeconds)
      continue;
    const span = stage.id === 'batch' ? samples : window;
    const input = growth(span, upstream.counter);
    const output = growth(span, stage.counter);
    if (input === null || output === null || input <= 0) continue;
    const backlogGrowth = stage.backlog
      ? growth(span, stage.backlog)
      : input - output;
    if (backlogGrowth !== null && backlogGrowth > FALLING_BEHIND * input) {
      const seconds = stage.id === 'batch' ? batchSpanSeconds : spanSeconds;
      bottleneck = {
        stage: stage.id,
        reason:
          `${stage.title} handled ${round(
            output / seconds,
          )} events/s while ${upstream.title.toLowerCase()} brought ${round(
            input / seconds,
          )}/s ` +
          `over the last ${Math.round(
            seconds,
          )} s; its backlog grew by ${backlogGrowth.toLocaleString(
            'en-US',
          )} events`,
      };
      break;
    }
  }

  const source = byId.get('source')!.current ?? byId.get('ingest')!.current;
  let summary: string;
  if (samples.length < 2) {
    summary = `not enough samples yet (${samples.length}); rates appear after the sampler's second run`;
  } else if (bottleneck) {
    summary = `${byId.get(bottleneck.stage)!.title} is the bottleneck`;
  } else {
    const share =
      source === null
        ? null
        : Math.round((source / t.targetEventsPerSecond) * 100);
    const rate =
      source === null
        ? ''
        : `; the source brings ${source} events/s, ${share}% of the ${t.targetEventsPerSecond.toLocaleString(
            'en-US',
          )} events/s target`;
    const batchNote =
      batchSpanSeconds < 2 * batchIntervalSeconds
        ? ' (the batch layer is judged once two of its loads are in the samples)'
        : '';
    summary = `every stage keeps up with its input${rate}${batchNote}`;
  }
  return {
    entityRef,
    environment: t.environment,
    targetEventsPerSecond: t.targetEventsPerSecond,
    sampleIntervalSeconds,
    stages,
    bottleneck,
    summary,
    samples: samples.length,
    lag: LAGS.map(l => {
      const points = gauge(samples, l.counter);
      return {
        id: l.id,
        title: l.title,
        ...(l.id === 'lake-sink' ? { group: t.lakeSinkGroup } : {}),
        current: samples[samples.length - 1]?.counters[l.counter] ?? null,
        series: points,
      };
    }),
    deadLetters: {
      topic: t.deadLetterTopic,
      total: samples[samples.length - 1]?.counters.deadLetters ?? null,
      series: arrivals(samples, 'deadLetters'),
    },
  };
}
