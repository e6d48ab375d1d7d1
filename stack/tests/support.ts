// Plumbing shared by the stack's integration tests: waiting on real services,
// the Connect REST API, and clients configured from the stack's environment
// (set by the Jest global setup).
import { S3Client } from '@aws-sdk/client-s3';
import { Kafka, logLevel } from 'kafkajs';

/** Thrown inside a `waitFor` check to stop waiting at once (e.g. a FAILED task). */
export class Fatal extends Error {}

/**
 * Polls `check` until it returns a value other than undefined. Errors other
 * than `Fatal` are retried until the timeout, then reported with the wait.
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 60_000,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      if (error instanceof Fatal) throw error;
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${
          lastError ? ` (last error: ${lastError})` : ''
        }`,
      );
    }
    await new Promise(resolve => setTimeout(resolve, intervalMs));
  }
}

/** Calls the Kafka Connect REST API; returns the status and the parsed body. */
export async function connectApi(method: string, path: string, body?: unknown) {
  const response = await fetch(`${process.env.LP_CONNECT_URL}${path}`, {
    method,
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

export function kafkaBrokers(): string[] {
  return (process.env.LP_KAFKA_BROKERS ?? '').split(',').filter(Boolean);
}

/** A kafkajs client for the stack's broker. */
export function kafkaClient(): Kafka {
  return new Kafka({
    clientId: 'lp-stack-test',
    brokers: kafkaBrokers(),
    logLevel: logLevel.WARN,
  });
}

/** An AWS SDK v3 S3 client for the stack's object store (path-style). */
export function s3Client(): S3Client {
  return new S3Client({
    endpoint: process.env.LP_S3_ENDPOINT,
    region: process.env.LP_S3_REGION,
    forcePathStyle: true,
    credentials: {
      accessKeyId: process.env.LP_S3_ACCESS_KEY_ID!,
      secretAccessKey: process.env.LP_S3_SECRET_ACCESS_KEY!,
    },
  });
}

/** Throws `Fatal` (stopping any wait) when a connector or one of its tasks FAILED, with the worker's trace. */
export async function failIfConnectorFailed(connector: string): Promise<void> {
  const { status, body } = await connectApi(
    'GET',
    `/connectors/${connector}/status`,
  );
  if (status !== 200) return;
  const failed = [body.connector, ...body.tasks].find(
    (s: { state: string }) => s.state === 'FAILED',
  );
  if (failed) {
    throw new Fatal(
      `connector ${connector} failed: ${
        failed.trace ?? JSON.stringify(failed)
      }`,
    );
  }
}

/** Waits until a connector and all its tasks are RUNNING; returns its status. */
export function waitForConnectorRunning(connector: string, timeoutMs = 60_000) {
  return waitFor(
    `connector ${connector} and its tasks to be RUNNING`,
    async () => {
      await failIfConnectorFailed(connector);
      const { status, body } = await connectApi(
        'GET',
        `/connectors/${connector}/status`,
      );
      if (status !== 200) return undefined;
      const running =
        body.connector.state === 'RUNNING' &&
        body.tasks.length > 0 &&
        body.tasks.every((task: { state: string }) => task.state === 'RUNNING');
      return running ? body : undefined;
    },
    timeoutMs,
  );
}
