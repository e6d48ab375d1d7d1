import { Observations } from './observe';
import { MonitorTargets } from './targets';

/** Position per topic and partition (the next Kafka offset a layer holds). */
export type Positions = {
  speed: Record<string, Record<string, number>>;
  batch: Record<string, Record<string, number>>;
};

/**
 * Monotonic counters of one sample (throughput is their growth between
 * samples), with the lags and freshness of the moment. Every stage is counted in Kafka offsets except the source
 * (PostgreSQL's own count of changed rows), so one event is one unit
 * everywhere.
 */
export type Counters = {
  sourceChanges: number | null;
  /** Sum of the CDC topics' end offsets. */
  ingestOffsets: number | null;
  /** Sum of the speed layer's positions. */
  speedOffsets: number | null;
  /** Sum of the batch layer's positions (last load's watermark). */
  batchOffsets: number | null;
  /** Events ever written to the dead-letter topic (sum of end offsets). */
  deadLetters: number | null;
  speedLag: number | null;
  batchLag: number | null;
  lakeSinkLag: number | null;
  /** Freshness (gauges, kept for history): the newest event time in the speed layer... */
  speedNewestEvent: string | null;
  /** ...and the event time the batch layer is complete up to (its oldest table's watermark). */
  batchCompleteUpTo: string | null;
};

const present = (xs: Array<string | null>) =>
  xs.filter((x): x is string => Boolean(x)).sort();
const newest = (xs: Array<string | null>) => present(xs).pop() ?? null;
const oldest = (xs: Array<string | null>) => present(xs)[0] ?? null;

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

/**
 * The counters of one round of observations. A partition the speed layer
 * wrote nothing to recently keeps its previous position.
 */
export function countersOf(
  t: MonitorTargets,
  o: Observations,
  previous?: Positions,
): Counters & { positions: Positions } {
  const positions: Positions = { speed: {}, batch: {} };
  for (const topic of t.cdcTopics) {
    positions.speed[topic] = { ...(previous?.speed[topic] ?? {}) };
    positions.batch[topic] = { ...(previous?.batch[topic] ?? {}) };
  }
  if (o.speed.state === 'ok') {
    for (const s of o.speed.value) {
      for (const [p, offset] of Object.entries(s.offsets)) {
        positions.speed[s.topic][p] = Math.max(
          positions.speed[s.topic][p] ?? 0,
          offset,
        );
      }
    }
  }
  if (o.batch.state === 'ok') {
    for (const mark of o.batch.value) {
      for (const [topic, partitions] of Object.entries(mark.offsets)) {
        if (!positions.batch[topic]) continue;
        for (const [p, offset] of Object.entries(partitions))
          positions.batch[topic][p] = Number(offset);
      }
    }
  }
  const ends = o.topics.state === 'ok' ? o.topics.value.topics : undefined;
  const cdcEnds =
    ends && t.cdcTopics.every(topic => ends[topic])
      ? t.cdcTopics.map(topic => ({ topic, partitions: ends[topic] }))
      : undefined;
  const lagOf = (layer: Record<string, Record<string, number>>) =>
    cdcEnds
      ? sum(
          cdcEnds.flatMap(({ topic, partitions }) =>
            partitions.map(p =>
              Math.max(
                0,
                p.high - (layer[topic]?.[String(p.partition)] ?? p.low),
              ),
            ),
          ),
        )
      : null;
  const positionSum = (
    layer: Record<string, Record<string, number>>,
    observed: boolean,
  ) =>
    observed
      ? sum(
          Object.values(layer).flatMap(partitions => Object.values(partitions)),
        )
      : null;
  return {
    positions,
    sourceChanges: o.source.state === 'ok' ? o.source.value.changes : null,
    ingestOffsets: cdcEnds
      ? sum(cdcEnds.flatMap(c => c.partitions.map(p => p.high)))
      : null,
    speedOffsets: positionSum(positions.speed, o.speed.state === 'ok'),
    batchOffsets: positionSum(positions.batch, o.batch.state === 'ok'),
    deadLetters: ends?.[t.deadLetterTopic]
      ? sum(ends[t.deadLetterTopic].map(p => p.high))
      : null,
    speedLag: o.speed.state === 'ok' ? lagOf(positions.speed) : null,
    batchLag: o.batch.state === 'ok' ? lagOf(positions.batch) : null,
    lakeSinkLag:
      o.lakeSinkLag.state === 'ok' ? o.lakeSinkLag.value.totalLag : null,
    speedNewestEvent:
      o.speed.state === 'ok'
        ? newest(o.speed.value.map(s => s.newestEventTime))
        : null,
    batchCompleteUpTo:
      o.batch.state === 'ok' && o.batch.value.length === t.datasets.length
        ? oldest(o.batch.value.map(m => m.completeUpTo))
        : null,
  };
}

/** The counters that are numbers (what rates and backlogs are computed from). */
export type NumericCounter = {
  [K in keyof Counters]: Counters[K] extends number | null ? K : never;
}[keyof Counters];
