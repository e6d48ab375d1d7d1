import { InputError } from '@backstage/errors';
import { PipelineFormValues } from '@internal/backstage-plugin-lambda-pipeline-common';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { createPlanPipelineAction } from './planPipeline';

const FORM: PipelineFormValues = {
  name: 'payments',
  description: '',
  owner: 'group:default/data-platform',
  system: '',
  database: 'billing',
  tables: [
    {
      schema: 'public',
      table: 'payments',
      columns: [
        { name: 'payment_id', type: 'uuid', nullable: false },
        { name: 'amount_cents', type: 'bigint' },
        { name: 'created_at', type: 'timestamptz', nullable: false },
      ],
      primaryKey: ['payment_id'],
      eventTimeColumn: 'created_at',
      measures: ['amount_cents'],
    },
    {
      schema: 'ledger',
      table: 'entries',
      columns: [
        { name: 'entry_id', type: 'bigint', nullable: false },
        { name: 'amount', type: 'numeric(18,2)' },
        { name: 'booked_at', type: 'timestamp', nullable: false },
      ],
      primaryKey: ['entry_id'],
      eventTimeColumn: 'booked_at',
    },
  ],
  targetEventsPerSecond: 20000,
  memoryBudget: '16Gi',
  profile: 'cloud',
  region: 'eu-west-1',
  bucket: 'payments-lake',
  kmsKeyId: 'alias/payments-lake',
  catalogType: 'glue',
  catalogUri: '',
  snowflakeAccount: 'myorg-myaccount',
  snowflakeWarehouse: 'TRANSFORMING',
  snowflakeDatabase: 'ANALYTICS',
  snowflakeSchema: 'PAYMENTS',
  snowflakeRole: 'PAYMENTS_LOADER',
  snowflakeUser: 'PAYMENTS_SVC',
  dagRepoUrl: 'https://git.example.com/data/payments-dags.git',
  syncPeriodSeconds: 60,
  secretPostgres: 'payments-postgres',
  secretClickhouse: 'payments-clickhouse',
  secretS3: 'payments-s3',
  secretSnowflake: 'payments-snowflake',
  secretGitSync: 'payments-git-sync',
  secretAirflowDatabase: 'payments-airflow-db',
};

const outputs = (ctx: ReturnType<typeof createMockActionContext>) =>
  Object.fromEntries((ctx.output as jest.Mock).mock.calls);

describe('lambda:pipeline:plan', () => {
  const action = createPlanPipelineAction();

  it('turns the form into a spec with defaults and plans names and sizes', async () => {
    const ctx = createMockActionContext({ input: { values: FORM as any } });
    await action.handler(ctx);
    const { spec, plan, name, summary } = outputs(ctx);
    expect(name).toBe('payments');
    // Blank optional fields fall back to defaults instead of failing.
    expect(spec.metadata.system).toBe('system:default/payments');
    expect(spec.metadata.description).toBeUndefined();
    expect(spec.spec.lake.iceberg.catalog).toEqual({ type: 'glue' });
    expect(spec.spec.lake.sink).toBe('iceberg');
    expect(plan.namespace).toBe('payments');
    expect(
      plan.datasets.map((d: any) => [
        d.source,
        d.topic.name,
        d.topic.resourceName,
        d.clickhouseTable,
        d.snowflakeStagingTable,
      ]),
    ).toEqual([
      [
        'public.payments',
        'payments.public.payments',
        'payments.public.payments',
        'payments.payments',
        'ANALYTICS.PAYMENTS.STG_PAYMENTS',
      ],
      [
        'ledger.entries',
        'payments.ledger.entries',
        'payments.ledger.entries',
        'payments.ledger_entries',
        'ANALYTICS.PAYMENTS.STG_LEDGER_ENTRIES',
      ],
    ]);
    expect(plan.topics.heartbeat.name).toBe('__debezium-heartbeat.payments');
    expect(plan.topics.heartbeat.resourceName).toMatch(
      /^debezium-heartbeat\.payments-[0-9a-z]{6}$/,
    );
    expect(plan.sizing.partitions).toBe(4);
    expect(summary).toMatch(
      /^Pipeline payments: 2 source table\(s\), 4 partitions per CDC topic for 20,000 events\/s, 1 speed executor\(s\); memory 1[45]\.\d GiB of 16\.0 GiB/,
    );
  });

  it('names the spec field and the form field of every problem', async () => {
    const ctx = createMockActionContext({
      input: {
        values: {
          ...FORM,
          name: 'Payments!',
          catalogType: 'jdbc',
          memoryBudget: '12Gi',
          snowflakeRole: 'bad role',
          secretSnowflake: '-----BEGIN PRIVATE KEY-----abc',
        } as any,
      },
    });
    const error = await action.handler(ctx).catch(e => e);
    expect(error).toBeInstanceOf(InputError);
    const lines = error.message.split('\n');
    expect(lines[0]).toBe('Invalid pipeline:');
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^metadata\.name \(form field 'name'\): 'Payments!' is not a DNS-safe pipeline name/,
        ),
        expect.stringMatching(
          /^spec\.lake\.iceberg\.catalog\.uri \(form field 'catalogUri'\): must be a PostgreSQL JDBC URL/,
        ),
        expect.stringMatching(
          /^spec\.snowflake\.role \(form field 'snowflakeRole'\): must be an unquoted Snowflake role name/,
        ),
        expect.stringMatching(
          /^spec\.secrets\.snowflake \(form field 'secretSnowflake'\): this looks like a credential value/,
        ),
        expect.stringMatching(
          /^spec\.resources\.memoryBudget \(form field 'memoryBudget'\): 12Gi is below the 16\.\d GiB this pipeline needs/,
        ),
      ]),
    );
    expect(error.message).not.toContain('BEGIN PRIVATE KEY');
    expect(ctx.output).not.toHaveBeenCalled();
  });

  it('names the table and column of a problem inside a table', async () => {
    const tables = structuredClone(FORM.tables);
    tables[1].primaryKey = [];
    const ctx = createMockActionContext({
      input: { values: { ...FORM, tables } as any },
    });
    await expect(action.handler(ctx)).rejects.toThrow(
      "spec.source.postgres.tables[1].primaryKey (form field 'tables[1].primaryKey'): every source table needs a primary key",
    );
  });

  it('refuses a spec that does not fit the budget, with the amount over', async () => {
    const ctx = createMockActionContext({
      input: { values: { ...FORM, memoryBudget: '8Gi' } as any },
    });
    await expect(action.handler(ctx)).rejects.toThrow(
      /8Gi is below the 16\.\d GiB this pipeline needs .*, 8\.\d GiB over; the largest parts are/,
    );
  });

  it('plans in a dry run too and says so', async () => {
    const ctx = {
      ...createMockActionContext({ input: { values: FORM as any } }),
      isDryRun: true,
    };
    const info = jest.spyOn(ctx.logger, 'info');
    await action.handler(ctx);
    expect(info).toHaveBeenCalledWith(expect.stringMatching(/\(dry run\)$/));
    expect(info).toHaveBeenCalledWith(
      expect.stringMatching(
        /^ {2}ClickHouse \(speed-layer serving\): 1 x 1\.3 GiB limit$/,
      ),
    );
  });
});
