import { EXAMPLE_PIPELINE_SPEC } from '../spec/example';
import { parsePipelineSpec } from '../spec/validate';
import {
  networkPeers,
  networkPolicies,
  requiredConnections,
} from './connections';

const spec = (catalog: Record<string, unknown>) =>
  parsePipelineSpec({
    ...EXAMPLE_PIPELINE_SPEC,
    spec: {
      ...EXAMPLE_PIPELINE_SPEC.spec,
      lake: {
        ...EXAMPLE_PIPELINE_SPEC.spec.lake,
        iceberg: { ...EXAMPLE_PIPELINE_SPEC.spec.lake.iceberg, catalog },
      },
    },
  });

describe('required connections', () => {
  const glue = spec({ type: 'glue' });

  it('name only known peers, every destination a set of pods, every source a reason', () => {
    const peers = networkPeers(glue);
    for (const c of requiredConnections(glue)) {
      expect(peers[c.to]?.labels).toBeDefined();
      for (const from of c.from) expect(peers[from]).toBeDefined();
      expect(c.ports.length).toBeGreaterThan(0);
      expect(c.why).not.toBe('');
    }
  });

  it("open PostgreSQL to Spark only when the Iceberg catalog is on the pipeline's PostgreSQL", () => {
    const toPostgres = (s: ReturnType<typeof spec>) =>
      requiredConnections(s)
        .filter(c => c.to === 'postgres')
        .flatMap(c => c.from);
    expect(toPostgres(glue)).not.toContain('spark-driver');
    expect(
      toPostgres(
        spec({
          type: 'jdbc',
          uri: 'jdbc:postgresql://postgres:5432/iceberg_catalog',
        }),
      ),
    ).toEqual(expect.arrayContaining(['spark-driver', 'spark-executor']));
    expect(
      toPostgres(
        spec({
          type: 'jdbc',
          uri: 'jdbc:postgresql://catalog.example.com:5432/iceberg',
        }),
      ),
    ).not.toContain('spark-driver');
  });

  it('render one policy per destination, rules merged by port', () => {
    const policies = networkPolicies(glue);
    const names = policies.map(p => p.name);
    expect(new Set(names).size).toBe(names.length);
    const postgres = policies.find(p => p.name === 'allow-to-postgres')!;
    expect(postgres.podSelector).toEqual({
      'app.kubernetes.io/name': 'postgres',
    });
    // Debezium and Airflow share port 5432: one rule, both reasons.
    expect(postgres.ingress).toHaveLength(1);
    expect(postgres.ingress[0].why).toHaveLength(2);
    expect(postgres.ingress[0].from.map(f => f.id)).toContain('connect');
  });
});
