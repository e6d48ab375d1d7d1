import { InputError } from '@backstage/errors';
import { EXAMPLE_PIPELINE_SPEC } from './example';
import { LambdaPipelineInput } from './schema';
import {
  formatSpecProblems,
  parsePipelineSpec,
  validatePipelineSpec,
} from './validate';

/** A deep copy of the example with `change` applied to it. */
function specWith(change: (spec: any) => void): LambdaPipelineInput {
  const copy = structuredClone(EXAMPLE_PIPELINE_SPEC);
  change(copy);
  return copy;
}

/** The problems of an invalid spec, as `path: message` lines. */
function problemsOf(input: unknown): string[] {
  const result = validatePipelineSpec(input);
  if (result.valid) {
    throw new Error('expected the spec to be rejected');
  }
  return result.problems.map(p => `${p.path}: ${p.message}`);
}

describe('validatePipelineSpec', () => {
  it('accepts the example and fills in defaults', () => {
    const result = validatePipelineSpec(EXAMPLE_PIPELINE_SPEC);
    expect(result.problems).toEqual([]);
    if (!result.valid) throw new Error('unreachable');
    const { spec } = result.spec;
    expect(spec.throughput.targetEventsPerSecond).toBe(20000);
    expect(spec.resources.memoryBudget).toBe('16Gi');
    expect(spec.kafka).toEqual({ retentionHours: 168, replicationFactor: 1 });
    expect(spec.reconciliation).toEqual({
      windowMinutes: 60,
      allowedLatenessMinutes: 15,
      openWindowTolerance: 0.01,
      lookbackWindows: 48,
    });
    expect(spec.lake.sink).toBe('iceberg');
    expect(spec.dags.branch).toBe('main');
    expect(spec.source.postgres.tables[0].columns[2].nullable).toBe(true);
  });

  it('rejects names that are not DNS-safe and suggests one', () => {
    expect(
      problemsOf(specWith(s => (s.metadata.name = 'Orders_Pipeline'))),
    ).toEqual([
      "metadata.name: 'Orders_Pipeline' is not DNS-safe pipeline name: use lowercase letters, digits and '-', start with a letter, end with a letter or digit, at most 40 characters (for example 'orders-pipeline')".replace(
        'is not DNS-safe',
        'is not a DNS-safe',
      ),
    ]);
    expect(
      problemsOf(specWith(s => (s.metadata.name = 'a'.repeat(41))))[0],
    ).toMatch(/^metadata\.name: .* at most 40 characters/);
    expect(problemsOf(specWith(s => (s.metadata.name = '9lives')))[0]).toMatch(
      /^metadata\.name: '9lives' is not a DNS-safe/,
    );
    expect(
      problemsOf(specWith(s => (s.spec.environment.namespace = 'Data_NS')))[0],
    ).toMatch(
      /^spec\.environment\.namespace: 'Data_NS' is not a DNS-safe Kubernetes namespace/,
    );
  });

  it('rejects a source table without a primary key', () => {
    expect(
      problemsOf(
        specWith(s => delete s.spec.source.postgres.tables[0].primaryKey),
      ),
    ).toEqual([
      'spec.source.postgres.tables[0].primaryKey: every source table needs a primary key: Debezium uses it as the Kafka message key and both layers deduplicate by it',
    ]);
    expect(
      problemsOf(
        specWith(s => (s.spec.source.postgres.tables[0].primaryKey = [])),
      ),
    ).toEqual([
      'spec.source.postgres.tables[0].primaryKey: every source table needs a primary key: Debezium uses it as the Kafka message key and both layers deduplicate by it',
    ]);
  });

  it('rejects a zero or negative throughput target', () => {
    for (const target of [0, -5]) {
      expect(
        problemsOf(
          specWith(
            s => (s.spec.throughput = { targetEventsPerSecond: target }),
          ),
        ),
      ).toEqual([
        'spec.throughput.targetEventsPerSecond: targetEventsPerSecond must be greater than 0; the default target is 20000 events/s',
      ]);
    }
    expect(
      problemsOf(
        specWith(s => (s.spec.throughput = { targetEventsPerSecond: 1.5 })),
      ),
    ).toEqual([
      'spec.throughput.targetEventsPerSecond: targetEventsPerSecond must be a whole number',
    ]);
  });

  it('rejects a memory budget below what the stack needs, naming the amount over', () => {
    const [problem] = problemsOf(
      specWith(s => (s.spec.resources = { memoryBudget: '8Gi' })),
    );
    expect(problem).toMatch(
      /^spec\.resources\.memoryBudget: 8Gi is below the 1[56]\.\d GiB this pipeline needs \(12\.\d GiB steady \+ 2\.5 GiB while a batch load runs \+ 1\.0 GiB kept free for the node\), [78]\.\d GiB over; the largest parts are /,
    );
    expect(problem).toContain('ClickHouse');
    expect(problem).toContain('raise the budget');
  });

  it('rejects a budget that fits the default rate but not a much higher target', () => {
    const [problem] = problemsOf(
      specWith(s => (s.spec.throughput = { targetEventsPerSecond: 200_000 })),
    );
    expect(problem).toMatch(/^spec\.resources\.memoryBudget: 16Gi is below/);
    expect(problem).toContain(
      'Speed job executor (JVM and Python workers) 9.0 GiB',
    );
  });

  it('rejects a secret value where a Secret name is expected, without echoing it', () => {
    const pem =
      '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----';
    const awsKey = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    const problems = problemsOf(
      specWith(s => {
        s.spec.secrets.snowflake = pem;
        s.spec.secrets.s3 = awsKey;
        s.spec.secrets.postgres = 'hunter2!';
      }),
    );
    expect(problems).toEqual([
      "spec.secrets.postgres: must be the name of a Kubernetes Secret (lowercase letters, digits, '-' and '.'), e.g. 'orders-postgres'; credentials themselves never go in the spec",
      "spec.secrets.s3: this looks like a credential value, not the name of a Kubernetes Secret; store the value in a Secret (sealed-secrets or External Secrets) and give its name here, e.g. 'orders-s3'",
      "spec.secrets.snowflake: this looks like a credential value, not the name of a Kubernetes Secret; store the value in a Secret (sealed-secrets or External Secrets) and give its name here, e.g. 'orders-snowflake'",
    ]);
    const text = problems.join('\n');
    expect(text).not.toContain('MIIEvQ');
    expect(text).not.toContain(awsKey);
    expect(text).not.toContain('hunter2');
  });

  it('rejects credential fields smuggled into the spec', () => {
    expect(
      problemsOf(specWith(s => (s.spec.snowflake.password = 'x'))),
    ).toEqual([
      "spec.snowflake: unknown field 'password'; check the spelling (credentials never go in the spec, only Secret names under spec.secrets)",
    ]);
    expect(
      problemsOf(
        specWith(
          s =>
            (s.spec.dags.repoUrl =
              'https://bot:ghp_abc@git.example.com/dags.git'),
        ),
      ),
    ).toEqual([
      'spec.dags.repoUrl: repoUrl must not contain credentials; put them in the git-sync Secret named in secrets.gitSync',
    ]);
  });

  it('checks keys, event time and measures against the declared columns', () => {
    const problems = problemsOf(
      specWith(s => {
        const table = s.spec.source.postgres.tables[0];
        table.primaryKey = ['id'];
        table.eventTimeColumn = 'status';
        table.measures = ['amount', 'ratio', 'missing'];
        table.columns.push({ name: 'ratio', type: 'double precision' });
      }),
    );
    expect(problems).toEqual([
      "spec.source.postgres.tables[0].primaryKey[0]: primary key column 'id' is not among the declared columns of public.orders",
      "spec.source.postgres.tables[0].eventTimeColumn: 'status' is varchar(32); the event-time column must be a timestamp or timestamptz",
      "spec.source.postgres.tables[0].measures[1]: 'ratio' is double precision; measures must be exact numbers (smallint, integer, bigint or numeric(p,s)) so the speed and batch layers can compare exact sums",
      "spec.source.postgres.tables[0].measures[2]: measure column 'missing' is not among the declared columns of public.orders",
    ]);
  });

  it('rejects unsupported column types and identifiers', () => {
    const problems = problemsOf(
      specWith(s => {
        const table = s.spec.source.postgres.tables[0];
        table.columns[0].type = 'money';
        table.columns[1].name = 'Customer ID';
        table.columns[3].type = 'numeric(40,2)';
      }),
    );
    expect(problems[0]).toMatch(
      /^spec\.source\.postgres\.tables\[0\]\.columns\[0\]\.type: unsupported type 'money'; use one of smallint, integer/,
    );
    expect(problems[1]).toMatch(
      /^spec\.source\.postgres\.tables\[0\]\.columns\[1\]\.name: 'Customer ID' is not a valid column name/,
    );
    expect(problems[2]).toBe(
      "spec.source.postgres.tables[0].columns[3].type: numeric precision must be 1..38 (Snowflake's limit), got 40",
    );
  });

  it('rejects tables listed twice or mapping to the same dataset name', () => {
    const problems = problemsOf(
      specWith(s => {
        const [orders] = s.spec.source.postgres.tables;
        s.spec.source.postgres.tables.push(structuredClone(orders));
        s.spec.source.postgres.tables.push({
          ...structuredClone(orders),
          schema: 'sales',
          table: 'x',
        });
        s.spec.source.postgres.tables.push({
          ...structuredClone(orders),
          schema: 'public',
          table: 'sales_x',
        });
      }),
    );
    expect(problems).toEqual([
      'spec.source.postgres.tables[1].table: public.orders is listed twice (also at tables[0])',
      "spec.source.postgres.tables[3].table: public.sales_x and tables[2] both map to the table name 'sales_x' in ClickHouse, Iceberg and Snowflake; rename one of them",
    ]);
  });

  it('reports missing sections and wrong enums by path', () => {
    const problems = problemsOf(
      specWith(s => {
        delete s.spec.snowflake;
        s.spec.environment.profile = 'aws';
        s.spec.lake.iceberg.catalog = { type: 'hive' };
        s.spec.reconciliation = { windowMinutes: 7 };
      }),
    );
    expect(problems).toEqual([
      "spec.environment.profile: profile must be 'local' (the local stack) or 'cloud' (AWS S3 and Snowflake)",
      "spec.lake.iceberg.catalog.type: catalog type must be 'glue', 'rest' or 'jdbc'",
      'spec.snowflake: is required',
      'spec.reconciliation.windowMinutes: windowMinutes must divide a day evenly (for example 5, 15, 60 or 1440) so windows line up in both layers',
    ]);
  });

  it('rejects something that is not a pipeline spec at all', () => {
    expect(problemsOf('orders')).toEqual([': must be a mapping, got text']);
    expect(
      problemsOf(specWith(s => (s.spec.source.postgres.tables = 'orders'))),
    ).toEqual(['spec.source.postgres.tables: must be a list, got text']);
    expect(problemsOf({ apiVersion: 'v1', kind: 'Pod' })).toEqual(
      expect.arrayContaining([
        "apiVersion: apiVersion must be 'lambda-pipelines.io/v1alpha1'",
        "kind: kind must be 'LambdaPipeline'",
        'metadata: is required',
        'spec: is required',
      ]),
    );
  });
});

describe('parsePipelineSpec', () => {
  it('throws an InputError listing every problem', () => {
    const bad = specWith(s => {
      s.metadata.name = 'Bad Name';
      s.spec.throughput = { targetEventsPerSecond: 0 };
    });
    expect(() => parsePipelineSpec(bad)).toThrow(InputError);
    expect(() => parsePipelineSpec(bad)).toThrow(
      /^Invalid pipeline spec:\nmetadata\.name: 'Bad Name' is not a DNS-safe.*\nspec\.throughput\.targetEventsPerSecond: targetEventsPerSecond must be greater than 0/s,
    );
  });

  it('returns the spec with defaults', () => {
    expect(parsePipelineSpec(EXAMPLE_PIPELINE_SPEC).metadata.name).toBe(
      'orders',
    );
  });

  it('formats problems one per line', () => {
    expect(
      formatSpecProblems([
        { path: '', message: 'x' },
        { path: 'a.b', message: 'y' },
      ]),
    ).toBe('(spec): x\na.b: y');
  });
});

describe('validatePipelineSpec reporting', () => {
  it('reports a too-small budget together with shape problems elsewhere', () => {
    const problems = problemsOf(
      specWith(s => {
        s.metadata.name = 'Bad Name';
        s.spec.resources = { memoryBudget: '8Gi' };
      }),
    );
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^metadata\.name: /);
    expect(problems[1]).toMatch(/^spec\.resources\.memoryBudget: 8Gi is below/);
  });
});
