import { stackEnvironment, stackUp } from '../testUtils';
import { PipelineEnvironments, ProbeError } from './common';
import { ConnectRestProbe, ConnectorStatus } from './connect';

jest.setTimeout(10 * 60_000);

/** The Debezium connector states through Kafka Connect's REST API, on the stack's Connect. */
describe('ConnectRestProbe (real Kafka Connect + Debezium)', () => {
  const run = `${Date.now().toString(36)}${Math.random()
    .toString(36)
    .slice(2, 6)}`;
  const failing = `lp-probe-failing-${run}`;
  let env: Record<string, string>;
  let probe: ConnectRestProbe;

  const connectApi = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${env.LP_CONNECT_URL}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return response.status;
  };

  const waitFor = async (
    what: string,
    check: () => Promise<ConnectorStatus | undefined>,
  ) => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const value = await check();
      if (value) return value;
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${what}`);
      await new Promise(r => setTimeout(r, 500));
    }
  };

  beforeAll(() => {
    env = stackUp(['connect']);
    probe = new ConnectRestProbe(
      PipelineEnvironments.of([stackEnvironment(env)]),
      { timeoutMs: 10_000 },
    );
  });

  afterAll(async () => {
    await connectApi('DELETE', `/connectors/${failing}`);
  });

  it('reports a connector whose task FAILED, with the first line of its trace', async () => {
    // Publication autocreation off and no publication: the task fails at start.
    expect(
      await connectApi('PUT', `/connectors/${failing}/config`, {
        'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
        'tasks.max': '1',
        'plugin.name': 'pgoutput',
        'database.hostname': env.LP_POSTGRES_HOST,
        'database.port': env.LP_POSTGRES_PORT,
        'database.user': env.LP_POSTGRES_USER,
        'database.dbname': env.LP_POSTGRES_SOURCE_DATABASE,
        'topic.prefix': `lpprobe${run}`,
        'slot.name': `lp_probe_${run}`,
        'publication.name': `lp_probe_${run}_none`,
        'publication.autocreate.mode': 'disabled',
        'table.include.list': 'public.does_not_matter',
      }),
    ).toBe(201);
    const status = await waitFor('the task to fail', async () =>
      (
        await probe.connectors('dev')
      ).find(c => c.name === failing && c.tasks[0]?.state === 'FAILED'),
    );
    expect(status).toMatchObject({
      name: failing,
      type: 'source',
      connectorClass: 'io.debezium.connector.postgresql.PostgresConnector',
      state: 'RUNNING',
      tasks: [
        {
          id: 0,
          state: 'FAILED',
          error:
            'org.apache.kafka.connect.errors.ConnectException: Publication autocreation is disabled, please create one and restart the connector.',
        },
      ],
    });
    expect(status.tasks[0].trace).toContain('PostgresReplicationConnection');
  });

  it('reports a paused connector, and an unreachable Connect', async () => {
    expect(await connectApi('PUT', `/connectors/${failing}/pause`)).toBe(202);
    const paused = await waitFor('the connector to pause', async () =>
      (
        await probe.connectors('dev')
      ).find(c => c.name === failing && c.state === 'PAUSED'),
    );
    expect(paused.state).toBe('PAUSED');
    const gone = new ConnectRestProbe(
      PipelineEnvironments.of([
        { name: 'dev', connect: { url: 'http://127.0.0.1:9' } },
      ]),
      {
        timeoutMs: 3000,
      },
    );
    const error: ProbeError = await gone.connectors('dev').catch(e => e);
    expect(error.reason).toBe('unreachable');
    expect(error.message).toMatch(
      /^Kafka Connect \(dev\) at http:\/\/127\.0\.0\.1:9: fetch failed/,
    );
  });
});
