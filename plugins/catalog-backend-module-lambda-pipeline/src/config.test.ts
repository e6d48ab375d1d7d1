import { mockServices } from '@backstage/backend-test-utils';
import { readDatasetCatalogConfig } from './config';

const read = (catalog: any) =>
  readDatasetCatalogConfig(
    mockServices.rootConfig({ data: { lambdaPipelines: { catalog } } }),
  );
const problem = (catalog: any) => {
  try {
    read(catalog);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected a configuration error');
};

describe('lambdaPipelines.catalog', () => {
  it('has defaults that list every configured system every 2 minutes', () => {
    const config = readDatasetCatalogConfig(mockServices.rootConfig());
    expect(config.schedule).toEqual({
      frequency: { minutes: 2 },
      timeout: { minutes: 5 },
      initialDelay: { seconds: 10 },
    });
    expect(config.live).toMatchObject({
      systems: ['kafka', 'clickhouse', 'snowflake', 'iceberg'],
      timeoutMs: 60_000,
      snowflakeDatabases: [],
      unmanaged: { enabled: true, owner: 'unknown' },
    });
    expect(
      config.live.exclude.kafka.some(r => r.test('__consumer_offsets')),
    ).toBe(true);
    expect(
      config.live.exclude.kafka.some(r => r.test('orders.public.orders')),
    ).toBe(false);
    expect(
      config.live.exclude.clickhouse.some(r =>
        r.test('db..inner_id.1234-abcd'),
      ),
    ).toBe(true);
  });

  it('reads a schedule, systems, exclusions and the owner of unmanaged datasets', () => {
    const config = read({
      schedule: { frequency: { seconds: 30 }, timeout: { minutes: 1 } },
      live: {
        systems: ['kafka'],
        exclude: { kafka: ['^tmp-'] },
        unmanaged: { owner: 'group:default/platform' },
        snowflake: { databases: ['RAW', '"Mixed Case"'] },
      },
    });
    expect(config.schedule).toMatchObject({ frequency: { seconds: 30 } });
    expect(config.live.systems).toEqual(['kafka']);
    expect(config.live.exclude.kafka.some(r => r.test('tmp-x'))).toBe(true);
    expect(config.live.unmanaged.owner).toBe('group:default/platform');
    expect(config.live.snowflakeDatabases).toEqual(['RAW', '"Mixed Case"']);
  });

  it('names the key and what to write for every bad value', () => {
    expect(problem({ live: { systems: ['kafka', 'mysql'] } })).toBe(
      "lambdaPipelines.catalog.live.systems lists 'mysql'; choose from kafka, clickhouse, snowflake, iceberg.",
    );
    expect(problem({ live: { exclude: { kafka: ['(unclosed'] } } })).toMatch(
      /^lambdaPipelines\.catalog\.live\.exclude\.kafka has '\(unclosed', which is not a regular expression/,
    );
    expect(problem({ live: { timeoutMs: 10 } })).toBe(
      'lambdaPipelines.catalog.live.timeoutMs must be milliseconds between 100 and 600000; got 10.',
    );
    expect(
      problem({ live: { unmanaged: { owner: 'the platform team' } } }),
    ).toBe(
      "lambdaPipelines.catalog.live.unmanaged.owner 'the platform team' is not an entity reference such as group:default/data-platform.",
    );
    expect(problem({ live: { snowflake: { databases: ['my db'] } } })).toMatch(
      /^lambdaPipelines\.catalog\.live\.snowflake\.databases has 'my db', which is not a Snowflake identifier/,
    );
    expect(problem({ schedule: { frequency: 'often' } })).toMatch(
      /^lambdaPipelines\.catalog\.schedule is not a task schedule/,
    );
  });
});
