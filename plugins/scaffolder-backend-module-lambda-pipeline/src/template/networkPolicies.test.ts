import {
  networkPeers,
  parsePipelineSpec,
  requiredConnections,
} from '@internal/backstage-plugin-lambda-pipeline-common';
import yaml from 'yaml';
import {
  admits,
  NetworkPolicyObject,
  Source,
} from '../__testUtils__/networkPolicy';
import {
  RenderBackend,
  RenderResult,
  startPipelineRenderBackend,
} from '../__testUtils__/render';
import { variants } from './formVariants';

jest.setTimeout(10 * 60_000);

const policy = (
  name: string,
  podSelector: Record<string, string>,
  ingress: NetworkPolicyObject['spec']['ingress'],
): NetworkPolicyObject => ({
  kind: 'NetworkPolicy',
  metadata: { name },
  spec: {
    podSelector: { matchLabels: podSelector },
    policyTypes: ['Ingress'],
    ingress,
  },
});

describe('the NetworkPolicy evaluator the tests use', () => {
  const web = { app: 'web' };
  const client: Source = { labels: { app: 'client', tier: 'a' } };

  it('admits everything to a pod no policy selects, nothing to one a deny-all selects', () => {
    expect(admits([], client, web, 80)).toBe(true);
    const denyAll = policy('deny', {}, undefined);
    expect(admits([denyAll], client, web, 80)).toBe(false);
    expect(admits([denyAll], { outside: true }, web, 80)).toBe(false);
  });

  it('opens a rule by source labels and port, and unions the policies that select a pod', () => {
    const policies = [
      policy('deny', {}, undefined),
      policy('web', web, [
        {
          from: [{ podSelector: { matchLabels: { app: 'client' } } }],
          ports: [{ port: 80 }],
        },
      ]),
      policy('web-metrics', web, [
        {
          from: [{ podSelector: { matchLabels: { app: 'prom' } } }],
          ports: [{ port: 9090 }],
        },
      ]),
    ];
    expect(admits(policies, client, web, 80)).toBe(true);
    expect(admits(policies, client, web, 9090)).toBe(false);
    expect(admits(policies, { labels: { app: 'prom' } }, web, 9090)).toBe(true);
    expect(admits(policies, { labels: { app: 'other' } }, web, 80)).toBe(false);
    expect(admits(policies, { outside: true }, web, 80)).toBe(false);
    // A rule without ports admits every port; an ipBlock of everything admits every source.
    const open = [
      policy('any', web, [{ from: [{ ipBlock: { cidr: '0.0.0.0/0' } }] }]),
    ];
    expect(admits(open, client, web, 1234)).toBe(true);
    expect(admits(open, { outside: true }, web, 1)).toBe(true);
  });
});

/**
 * The rendered NetworkPolicies against the pipeline's required connections
 * (-common's `requiredConnections`), both ways, for every form variant:
 * every required connection is admitted, and every other pair of the
 * namespace's pods on the ports the policies open is refused.
 */
describe('rendered NetworkPolicies', () => {
  let backend: RenderBackend;
  const rendered = new Map<string, RenderResult>();

  beforeAll(async () => {
    backend = await startPipelineRenderBackend();
    for (const [name, values] of Object.entries(variants))
      rendered.set(name, await backend.render({ ...values }));
  });
  afterAll(() => backend?.stop());

  const policiesOf = (result: RenderResult): NetworkPolicyObject[] =>
    yaml
      .parseAllDocuments(
        result.files.find(
          f => f.path === 'platform/deploy/base/network-policies.yaml',
        )!.content,
      )
      .map(d => d.toJSON());
  const specOf = (result: RenderResult) =>
    parsePipelineSpec(
      yaml.parse(
        result.files.find(f => f.path === 'platform/pipeline.yaml')!.content,
      ),
    );

  it('deny ingress by default and admit exactly the required connections', () => {
    expect(rendered.size).toBeGreaterThanOrEqual(4);
    for (const [name, result] of rendered) {
      const policies = policiesOf(result);
      const spec = specOf(result);
      const peers = networkPeers(spec);
      const required = requiredConnections(spec);
      const source = (id: string): Source =>
        peers[id].outside ? { outside: true } : { labels: peers[id].labels! };
      expect(
        policies.find(p => p.metadata.name === 'default-deny-ingress'),
      ).toMatchObject({ spec: { podSelector: {}, policyTypes: ['Ingress'] } });

      const missing: string[] = [];
      for (const c of required)
        for (const from of c.from)
          for (const port of c.ports)
            if (!admits(policies, source(from), peers[c.to].labels!, port))
              missing.push(`${from} -> ${c.to}:${port}`);
      expect({ name, missing }).toEqual({ name, missing: [] });

      // Every other pair on the ports the policies name is refused, except
      // where a destination takes connections from outside (the API server,
      // a NodePort), which no policy can tell from a pod.
      const allowed = new Set(
        required.flatMap(c =>
          c.from.flatMap(from =>
            c.ports.map(port => `${from}>${c.to}:${port}`),
          ),
        ),
      );
      const openToOutside = new Set(
        required
          .filter(c => c.from.includes('outside'))
          .flatMap(c => c.ports.map(port => `${c.to}:${port}`)),
      );
      const ports = [...new Set(required.flatMap(c => c.ports))];
      const unexpected: string[] = [];
      for (const to of Object.values(peers).filter(p => !p.outside))
        for (const from of Object.keys(peers))
          for (const port of ports) {
            const key = `${from}>${to.id}:${port}`;
            if (allowed.has(key) || openToOutside.has(`${to.id}:${port}`))
              continue;
            if (admits(policies, source(from), to.labels!, port))
              unexpected.push(key);
          }
      expect({ name, unexpected }).toEqual({ name, unexpected: [] });
    }
  });

  it('open the paths the issue found blocked, and keep a forbidden one closed', () => {
    const [, result] = [...rendered.entries()][0];
    const policies = policiesOf(result);
    const peers = networkPeers(specOf(result));
    const pod = (id: string): Source => ({ labels: peers[id].labels! });
    const to = (id: string) => peers[id].labels!;
    // Airflow 3 task pods reach the Execution API.
    expect(
      admits(policies, pod('airflow-worker'), to('airflow-api-server'), 8080),
    ).toBe(true);
    // Grafana -> Prometheus, Prometheus -> the exporters.
    expect(admits(policies, pod('grafana'), to('prometheus'), 9090)).toBe(true);
    expect(admits(policies, pod('prometheus'), to('kafka'), 9404)).toBe(true);
    expect(admits(policies, pod('prometheus'), to('clickhouse'), 9363)).toBe(
      true,
    );
    // The Spark driver and its executors, both ways.
    expect(
      admits(policies, pod('spark-executor'), to('spark-driver'), 7078),
    ).toBe(true);
    expect(
      admits(policies, pod('spark-driver'), to('spark-executor'), 7079),
    ).toBe(true);
    // Kafka Connect has no business with ClickHouse.
    expect(admits(policies, pod('connect'), to('clickhouse'), 8123)).toBe(
      false,
    );
  });
});
