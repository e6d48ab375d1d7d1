import { PipelineEnvironments, ProbeError, withTimeout } from './common';

export type ConnectorState =
  | 'RUNNING'
  | 'PAUSED'
  | 'STOPPED'
  | 'FAILED'
  | 'UNASSIGNED'
  | 'RESTARTING'
  | string;

export type ConnectorTask = {
  id: number;
  state: ConnectorState;
  workerId?: string;
  /** First line of the failure's stack trace (FAILED tasks only). */
  error?: string;
  /** The whole trace, as Kafka Connect reports it. */
  trace?: string;
};

export type ConnectorStatus = {
  name: string;
  type: 'source' | 'sink' | string;
  connectorClass?: string;
  state: ConnectorState;
  workerId?: string;
  error?: string;
  trace?: string;
  tasks: ConnectorTask[];
};

/** Kafka Connect, through its REST API. */
export interface ConnectProbe {
  /** Every connector with its status and tasks (one request). */
  connectors(environment: string): Promise<ConnectorStatus[]>;
}

const firstLine = (trace?: string) =>
  trace ? trace.split('\n')[0].trim() : undefined;

export class ConnectRestProbe implements ConnectProbe {
  constructor(
    private readonly environments: PipelineEnvironments,
    private readonly options: { timeoutMs: number },
  ) {}

  async connectors(environment: string): Promise<ConnectorStatus[]> {
    const settings = this.environments.settings(environment, 'connect');
    const what = `Kafka Connect (${environment}) at ${settings.url}`;
    return withTimeout(
      'connect',
      what,
      this.options.timeoutMs,
      async signal => {
        const headers: Record<string, string> = { Accept: 'application/json' };
        if (settings.username) {
          headers.Authorization = `Basic ${Buffer.from(
            `${settings.username}:${settings.password ?? ''}`,
          ).toString('base64')}`;
        }
        const response = await fetch(
          `${settings.url}/connectors?expand=status&expand=info`,
          { headers, signal },
        );
        if (!response.ok) {
          throw new ProbeError(
            'connect',
            'error',
            `${what}: HTTP ${response.status} ${(await response.text()).slice(
              0,
              300,
            )}`,
          );
        }
        const body = (await response.json()) as Record<string, any>;
        return Object.entries(body)
          .map(([name, { status, info }]) => ({
            name,
            type: status?.type ?? info?.type ?? 'unknown',
            connectorClass: info?.config?.['connector.class'],
            state: status?.connector?.state ?? 'UNASSIGNED',
            workerId: status?.connector?.worker_id,
            error: firstLine(status?.connector?.trace),
            trace: status?.connector?.trace,
            tasks: ((status?.tasks ?? []) as any[])
              .map(t => ({
                id: t.id,
                state: t.state,
                workerId: t.worker_id,
                error: firstLine(t.trace),
                trace: t.trace,
              }))
              .sort((a, b) => a.id - b.id),
          }))
          .sort((a, b) => a.name.localeCompare(b.name));
      },
    );
  }
}
