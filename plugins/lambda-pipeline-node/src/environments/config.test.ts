import { mockServices } from '@backstage/backend-test-utils';
import { execFileSync } from 'child_process';
import path from 'path';
import { readPipelineEnvironments } from './config';

const read = (environments: Record<string, unknown>) =>
  readPipelineEnvironments(
    mockServices.rootConfig({
      data: { lambdaPipelines: { environments } } as any,
    }),
  );

describe('readPipelineEnvironments', () => {
  it("accepts what the stack prints for app-config, as the product's own settings", () => {
    const cli = path.resolve(__dirname, '../../../../stack/cli.mjs');
    const fragment = JSON.parse(
      execFileSync(
        process.execPath,
        [cli, 'env', '--app-config', '--environment', 'dev'],
        { encoding: 'utf8' },
      ),
    );
    const dev = readPipelineEnvironments(
      mockServices.rootConfig({ data: fragment }),
    ).get('dev')!;
    expect(Object.keys(dev).sort()).toEqual([
      'airflow',
      'clickhouse',
      'connect',
      'iceberg',
      'kafka',
      'kubernetes',
      'name',
      'postgres',
      'snowflake',
    ]);
    expect(dev.kafka).toMatchObject({
      clientId: 'backstage-lambda-pipelines',
      ssl: false,
    });
    expect(dev.iceberg).toMatchObject({
      catalog: { type: 'jdbc' },
      s3: { forcePathStyle: true },
    });
  });

  it('turns TLS on for Kafka with a CA file, resolved from the working directory', () => {
    expect(
      read({
        dev: { kafka: { brokers: ['k:9093'], caFile: 'certs/ca.pem' } },
      }).get('dev')?.kafka,
    ).toMatchObject({
      ssl: true,
      caFile: path.resolve(process.cwd(), 'certs/ca.pem'),
    });
  });

  it('names the key and what to write for every mistake', () => {
    expect(() => read({ dev: { kafka: { brokers: ['kafka'] } } })).toThrow(
      "lambdaPipelines.environments.dev.kafka.brokers must list host:port addresses such as 127.0.0.1:9092; got 'kafka'.",
    );
    expect(() =>
      read({ dev: { clickhouse: { url: 'clickhouse:8123' } } }),
    ).toThrow(
      "lambdaPipelines.environments.dev.clickhouse.url 'clickhouse:8123' is not an http(s) URL of ClickHouse's HTTP interface, e.g. http://clickhouse:8123.",
    );
    expect(() =>
      read({
        dev: {
          snowflake: {
            account: 'a',
            username: 'u',
            warehouse: 'w',
            database: 'd',
            schema: 's',
          },
        },
      }),
    ).toThrow(
      'lambdaPipelines.environments.dev.snowflake needs credentials: set lambdaPipelines.environments.dev.snowflake.privateKey (key-pair auth, recommended) or lambdaPipelines.environments.dev.snowflake.password.',
    );
    expect(() =>
      read({
        dev: {
          kafka: {
            brokers: ['k:9092'],
            sasl: { mechanism: 'oauth', username: 'u', password: 'p' },
          },
        },
      }),
    ).toThrow(
      "lambdaPipelines.environments.dev.kafka.sasl.mechanism must be plain, scram-sha-256 or scram-sha-512; got 'oauth'.",
    );
    expect(() =>
      read({ dev: { postgres: { host: 'h', port: 70000, database: 'd' } } }),
    ).toThrow(
      'lambdaPipelines.environments.dev.postgres.port must be a port number (1-65535); got 70000.',
    );
    expect(() => read({ dev: { kubernetes: { context: 'kind' } } })).toThrow(
      /^lambdaPipelines\.environments\.dev\.kubernetes needs credentials: set lambdaPipelines\.environments\.dev\.kubernetes\.kubeconfigPath/,
    );
  });
});
