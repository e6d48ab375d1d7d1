// Debezium change events at a set rate from a Java producer
// (ReplayProducer.java), for benchmarks that must offer 20,000 events/s
// live next to the job they measure: the Node generator's kafkajs producer
// needs most of a core for that on a 2-core machine. The events are the Node
// generator's own (`eventPool`), stamped with a fresh LSN and the send time.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import kafkaComponent, { javaBin } from '../components/kafka.mjs';
import { componentContext } from '../lib/context.mjs';
import { eventPool } from '../loadgen/loadgen.mjs';

const here = path.dirname(new URL(import.meta.url).pathname);

/**
 * Produces `rate` events/s for `seconds` to the plan's CDC topics, replaying a
 * pool of `poolEvents` generated events (default: 10 s of load, at most
 * 200,000; keys repeat once the pool wraps, as updates) or the `pool` given.
 * Resolves with `{ events, acknowledged, rate, seconds, pool }` (rate: events
 * acknowledged per second).
 *
 * @param {{
 *   spec: any, plan: any, brokers: string[], rate: number, seconds: number,
 *   seed?: number, poolEvents?: number,
 *   pool?: Array<{ topic: string, key: string, value: string }>,
 *   onProgress?: (line: string) => void,
 * }} options
 */
export async function replayLoad({
  spec,
  plan,
  brokers,
  rate,
  seconds,
  seed = 1,
  poolEvents = Math.min(200_000, Math.ceil(rate * 10)),
  pool = undefined,
  onProgress = () => {},
}) {
  const kafka = componentContext(kafkaComponent.name, kafkaComponent.version);
  if (!kafka.installed())
    throw new Error(
      'the replay producer needs the stack kafka component installed (stack/lp-stack up kafka)',
    );
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lp-replay-'));
  try {
    const poolFile = path.join(dir, 'pool.tsv');
    const events =
      pool ?? eventPool({ spec, plan, events: poolEvents, rate, seed });
    fs.writeFileSync(
      poolFile,
      events.map(e => `${e.topic}\t${e.key}\t${e.value}\n`).join(''),
    );
    const child = spawn(
      javaBin(),
      [
        '-Xmx512m',
        '-cp',
        path.join(kafka.installDir, 'libs', '*'),
        path.join(here, 'ReplayProducer.java'),
        '--bootstrap',
        brokers.join(','),
        '--pool',
        poolFile,
        '--rate',
        String(rate),
        '--seconds',
        String(seconds),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', chunk => (stdout += chunk));
    child.stderr.on('data', chunk => {
      stderr += chunk;
      for (const line of String(chunk).split('\n'))
        if (line.startsWith('replay:')) onProgress(line);
    });
    const code = await new Promise(resolve =>
      child.on('exit', (c, signal) => resolve(c ?? signal)),
    );
    if (code !== 0)
      throw new Error(
        `ReplayProducer exited with ${code}:\n${stderr
          .split('\n')
          .filter(l => !l.startsWith('replay:'))
          .slice(-30)
          .join('\n')}`,
      );
    return JSON.parse(stdout.trim().split('\n').pop());
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
