import { RootConfigService } from '@backstage/backend-plugin-api';
import {
  ENVIRONMENTS_KEY,
  PipelineEnvironmentConfig,
  readPipelineEnvironments,
} from '../environments/config';

/** The systems a probe can talk to. */
export type ProbedSystem =
  | 'postgres'
  | 'kafka'
  | 'connect'
  | 'clickhouse'
  | 'snowflake'
  | 'kubernetes'
  | 'airflow'
  | 'iceberg';

/**
 * Why a probe got no answer: the system is not configured for the
 * environment, cannot be reached, took longer than the probe's timeout, or
 * answered with an error. The message says which system and what to do; it
 * never carries credentials.
 */
export class ProbeError extends Error {
  constructor(
    readonly system: ProbedSystem,
    readonly reason: 'not-configured' | 'unreachable' | 'timeout' | 'error',
    message: string,
  ) {
    super(message);
    this.name = 'ProbeError';
  }
}

/** Network errors that mean "nobody answers there". */
const UNREACHABLE =
  /ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ECONNRESET|EAI_AGAIN|socket hang up|Connection error|connect ETIMEDOUT|KafkaJSConnectionError|KafkaJSNumberOfRetriesExceeded|fetch failed/i;

function describe(error: unknown): string {
  const parts: string[] = [];
  const visit = (e: any, depth: number) => {
    if (!e || depth > 4) return;
    const part =
      e.code && typeof e.code === 'string'
        ? `${e.message} (${e.code})`
        : e.message ?? String(e);
    if (part && !parts.some(p => p.includes(part))) parts.push(part);
    if (Array.isArray(e.errors))
      e.errors.forEach((x: unknown) => visit(x, depth + 1));
    visit(e.cause, depth + 1);
  };
  visit(error, 0);
  return parts.join(': ');
}

/** A ProbeError for whatever a client library threw. */
export function toProbeError(
  system: ProbedSystem,
  what: string,
  error: unknown,
): ProbeError {
  if (error instanceof ProbeError) return error;
  const text = describe(error);
  return new ProbeError(
    system,
    UNREACHABLE.test(text) ? 'unreachable' : 'error',
    `${what}: ${text}`,
  );
}

/**
 * Runs `fn` with a deadline. On timeout the returned promise rejects with a
 * ProbeError naming the system and the time, and `signal` is aborted so the
 * work can stop.
 */
export async function withTimeout<T>(
  system: ProbedSystem,
  what: string,
  timeoutMs: number,
  fn: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(
        new ProbeError(
          system,
          'timeout',
          `${what}: no answer within ${timeoutMs} ms`,
        ),
      );
    }, timeoutMs);
  });
  try {
    return await Promise.race([fn(controller.signal), deadline]);
  } catch (error) {
    throw toProbeError(system, what, error);
  } finally {
    clearTimeout(timer);
  }
}

/** Default timeout of one probe call (`lambdaPipelines.monitoring.probeTimeoutMs`). */
export const DEFAULT_PROBE_TIMEOUT_MS = 5000;

export function readProbeTimeoutMs(config: RootConfigService): number {
  const value = config.getOptionalNumber(
    'lambdaPipelines.monitoring.probeTimeoutMs',
  );
  if (value === undefined) return DEFAULT_PROBE_TIMEOUT_MS;
  if (!Number.isInteger(value) || value < 100 || value > 600_000) {
    throw new Error(
      `lambdaPipelines.monitoring.probeTimeoutMs must be milliseconds between 100 and 600000; got ${value}`,
    );
  }
  return value;
}

/** The configured environments, and the settings of one system in one of them. */
export class PipelineEnvironments {
  private constructor(
    private readonly environments: Map<string, PipelineEnvironmentConfig>,
  ) {}

  static fromConfig(config: RootConfigService): PipelineEnvironments {
    return new PipelineEnvironments(readPipelineEnvironments(config));
  }

  static of(environments: PipelineEnvironmentConfig[]): PipelineEnvironments {
    return new PipelineEnvironments(
      new Map(environments.map(e => [e.name, e])),
    );
  }

  names(): string[] {
    return [...this.environments.keys()];
  }

  /** All settings of one environment, if it is configured. */
  get(environment: string): PipelineEnvironmentConfig | undefined {
    return this.environments.get(environment);
  }

  /** The settings of `system` in `environment`; a ProbeError saying what to configure if absent. */
  settings<K extends ProbedSystem>(
    environment: string,
    system: K,
  ): NonNullable<PipelineEnvironmentConfig[K]> {
    const env = this.environments.get(environment);
    if (!env) {
      const configured =
        this.environments.size > 0
          ? ` (configured: ${this.names().join(', ')})`
          : '';
      throw new ProbeError(
        system,
        'not-configured',
        `environment '${environment}' is not configured: add ${ENVIRONMENTS_KEY}.${environment} to app-config${configured}`,
      );
    }
    const settings = env[system];
    if (!settings) {
      throw new ProbeError(
        system,
        'not-configured',
        `${system} is not configured for environment '${environment}': set ${ENVIRONMENTS_KEY}.${environment}.${system}`,
      );
    }
    return settings as NonNullable<PipelineEnvironmentConfig[K]>;
  }

  has(environment: string, system: ProbedSystem): boolean {
    return Boolean(this.environments.get(environment)?.[system]);
  }
}

/** One client per environment, created on first use and reused. */
export class ClientCache<T> {
  private readonly clients = new Map<string, Promise<T>>();

  constructor(
    private readonly create: (environment: string) => Promise<T> | T,
  ) {}

  get(environment: string): Promise<T> {
    let client = this.clients.get(environment);
    if (!client) {
      client = Promise.resolve().then(() => this.create(environment));
      this.clients.set(environment, client);
      // A client that could not be created is retried next time.
      client.catch(() => this.clients.delete(environment));
    }
    return client;
  }

  /** Drops a client (e.g. after its connection broke) so the next call creates a new one. */
  forget(environment: string): Promise<T> | undefined {
    const client = this.clients.get(environment);
    this.clients.delete(environment);
    return client;
  }

  async all(): Promise<T[]> {
    const settled = await Promise.allSettled(this.clients.values());
    return settled.flatMap(s => (s.status === 'fulfilled' ? [s.value] : []));
  }
}
