// Kafka's own producer throughput on this machine and broker: the
// ProducerPerformance tool (what kafka-producer-perf-test.sh runs), from
// Kafka 4.3.1's kafka-tools on Maven Central (bench/kafka-tools/pom.xml,
// copied once into the cache). The reference the pipeline benchmarks report
// their rates against.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const here = path.dirname(new URL(import.meta.url).pathname);
const KAFKA_TOOLS = path.join(
  process.env.LP_CACHE ?? path.join(os.homedir(), '.cache', 'lambda-pipelines'),
  'bench',
  'kafka-tools-4.3.1',
);

/**
 * Sends `records` records of `recordSize` bytes to `topic` as fast as the
 * producer can, with acks=all (as Kafka Connect's producers), and returns
 * records/s, MB/s and latency percentiles.
 */
export function producerPerformance({ brokers, topic, records, recordSize }) {
  const libs = path.join(KAFKA_TOOLS, 'libs');
  if (!fs.existsSync(path.join(libs, 'kafka-tools-4.3.1.jar'))) {
    execFileSync(
      'mvn',
      [
        '-q',
        '-B',
        '-Dstyle.color=never',
        '-f',
        path.resolve(here, '../../bench/kafka-tools/pom.xml'),
        'dependency:copy-dependencies',
        `-DoutputDirectory=${libs}`,
      ],
      { stdio: 'inherit', timeout: 20 * 60_000 },
    );
  }
  const out = execFileSync(
    'java',
    [
      '-Xmx512m',
      '-cp',
      `${libs}/*`,
      'org.apache.kafka.tools.ProducerPerformance',
      '--topic',
      topic,
      '--num-records',
      String(records),
      '--record-size',
      String(recordSize),
      '--throughput',
      '-1',
      '--producer-props',
      `bootstrap.servers=${brokers}`,
      'acks=all',
    ],
    { encoding: 'utf8', timeout: 30 * 60_000 },
  );
  const last = out.trim().split('\n').pop() ?? '';
  const m =
    /([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency, ([\d.]+) ms max latency, (\d+) ms 50th, (\d+) ms 95th/.exec(
      last,
    );
  if (!m) throw new Error(`unexpected ProducerPerformance output: ${last}`);
  return {
    records,
    recordSize,
    recordsPerSecond: Math.round(Number(m[1])),
    mbPerSecond: Number(m[2]),
    latencyMs: { p50: Number(m[5]), p95: Number(m[6]) },
  };
}
