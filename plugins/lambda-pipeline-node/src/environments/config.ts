import { RootConfigService } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import os from 'node:os';
import path from 'node:path';

type Config = ReturnType<RootConfigService['getConfig']>;

/** Root key of the environments the monitoring reads. */
export const ENVIRONMENTS_KEY = 'lambdaPipelines.environments';

/** How to reach the systems of one environment (`lambdaPipelines.environments.<name>`). */
export interface PipelineEnvironmentConfig {
  name: string;
  /** The source database (for source change rates and replication slot lag). */
  postgres?: {
    host: string;
    port: number;
    database: string;
    user: string;
    password?: string;
    ssl: boolean;
  };
  kafka?: {
    brokers: string[];
    clientId: string;
    ssl: boolean;
    /** PEM file of the CA that signed the brokers' certificates (implies ssl). */
    caFile?: string;
    sasl?: {
      mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512';
      username: string;
      password: string;
    };
  };
  /** Kafka Connect REST API. */
  connect?: { url: string; username?: string; password?: string };
  clickhouse?: {
    url: string;
    username: string;
    password?: string;
  };
  snowflake?: {
    account: string;
    username: string;
    password?: string;
    privateKey?: string;
    privateKeyPassphrase?: string;
    warehouse: string;
    database: string;
    schema: string;
    role?: string;
    /** Full URL of the account (private link, or the local emulator). */
    accessUrl?: string;
  };
  kubernetes?: {
    name: string;
    kubeconfigPath?: string;
    context?: string;
    url?: string;
    serviceAccountToken?: string;
    caFile?: string;
    skipTLSVerify?: boolean;
  };
  airflow?: { url: string; username: string; password: string };
  /**
   * Web consoles people open from the pipeline tab. Airflow's UI defaults to
   * `airflow.url` (Airflow 3 serves its UI and API together).
   */
  consoles?: { airflow?: string; sparkUi?: string; grafana?: string };
  /**
   * The Iceberg catalog the lake sink and Spark write to, for the catalog
   * module's inventory: a JDBC catalog in PostgreSQL, and the S3 store its
   * metadata files live in (columns and row counts come from them).
   */
  iceberg?: {
    catalog: {
      type: 'jdbc';
      host: string;
      port: number;
      database: string;
      user: string;
      password?: string;
      ssl: boolean;
      /** Only tables of this catalog (the JDBC catalog's `catalog_name`); all when unset. */
      name?: string;
    };
    s3?: {
      region: string;
      endpoint?: string;
      accessKeyId?: string;
      secretAccessKey?: string;
      forcePathStyle: boolean;
    };
  };
}

const expandHome = (p: string) => p.replace(/^~(?=$|\/)/, os.homedir());

function isUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/** Reads one environment; every problem names its config key and what to write. */
function readEnvironment(name: string, c: Config): PipelineEnvironmentConfig {
  const key = (k: string) => `${ENVIRONMENTS_KEY}.${name}.${k}`;
  const url = (sub: Config, k: string, what: string) => {
    const value = sub.getString('url');
    if (!isUrl(value)) {
      throw new InputError(
        `${key(`${k}.url`)} '${value}' is not an http(s) URL of ${what}.`,
      );
    }
    return value.replace(/\/+$/, '');
  };
  const out: PipelineEnvironmentConfig = { name };

  const portOf = (sub: Config, k: string) => {
    const port = sub.getOptionalNumber('port') ?? 5432;
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new InputError(
        `${key(`${k}.port`)} must be a port number (1-65535); got ${port}.`,
      );
    }
    return port;
  };

  const pg = c.getOptionalConfig('postgres');
  if (pg) {
    const port = portOf(pg, 'postgres');
    out.postgres = {
      host: pg.getString('host'),
      port,
      database: pg.getString('database'),
      user: pg.getOptionalString('user') ?? 'postgres',
      password: pg.getOptionalString('password'),
      ssl: pg.getOptionalBoolean('ssl') ?? false,
    };
  }

  const kafka = c.getOptionalConfig('kafka');
  if (kafka) {
    const brokers = kafka.getStringArray('brokers');
    const bad = brokers.find(b => !/^[^\s:/]+:\d{1,5}$/.test(b));
    if (brokers.length === 0 || bad !== undefined) {
      throw new InputError(
        `${key(
          'kafka.brokers',
        )} must list host:port addresses such as 127.0.0.1:9092${
          bad ? `; got '${bad}'` : ''
        }.`,
      );
    }
    const sasl = kafka.getOptionalConfig('sasl');
    const mechanism = sasl?.getString('mechanism');
    if (
      mechanism &&
      !['plain', 'scram-sha-256', 'scram-sha-512'].includes(mechanism)
    ) {
      throw new InputError(
        `${key(
          'kafka.sasl.mechanism',
        )} must be plain, scram-sha-256 or scram-sha-512; got '${mechanism}'.`,
      );
    }
    out.kafka = {
      brokers,
      clientId:
        kafka.getOptionalString('clientId') ?? 'backstage-lambda-pipelines',
      ssl: (kafka.getOptionalBoolean('ssl') ?? false) || kafka.has('caFile'),
      ...(kafka.has('caFile')
        ? {
            caFile: path.resolve(
              process.cwd(),
              expandHome(kafka.getString('caFile')),
            ),
          }
        : {}),
      ...(sasl
        ? {
            sasl: {
              mechanism: mechanism as
                | 'plain'
                | 'scram-sha-256'
                | 'scram-sha-512',
              username: sasl.getString('username'),
              password: sasl.getString('password'),
            },
          }
        : {}),
    };
  }

  const connect = c.getOptionalConfig('connect');
  if (connect) {
    out.connect = {
      url: url(
        connect,
        'connect',
        'the Kafka Connect REST API, e.g. http://connect:8083',
      ),
      username: connect.getOptionalString('username'),
      password: connect.getOptionalString('password'),
    };
  }

  const ch = c.getOptionalConfig('clickhouse');
  if (ch) {
    out.clickhouse = {
      url: url(
        ch,
        'clickhouse',
        "ClickHouse's HTTP interface, e.g. http://clickhouse:8123",
      ),
      username: ch.getOptionalString('username') ?? 'default',
      password: ch.getOptionalString('password'),
    };
  }

  const sf = c.getOptionalConfig('snowflake');
  if (sf) {
    const password = sf.getOptionalString('password');
    const privateKey = sf.getOptionalString('privateKey');
    if (!password && !privateKey) {
      throw new InputError(
        `${key('snowflake')} needs credentials: set ${key(
          'snowflake.privateKey',
        )} (key-pair auth, recommended) or ${key('snowflake.password')}.`,
      );
    }
    const accessUrl = sf.getOptionalString('accessUrl');
    if (accessUrl !== undefined && !isUrl(accessUrl)) {
      throw new InputError(
        `${key('snowflake.accessUrl')} '${accessUrl}' is not an http(s) URL.`,
      );
    }
    out.snowflake = {
      account: sf.getString('account'),
      username: sf.getString('username'),
      password,
      privateKey,
      privateKeyPassphrase: sf.getOptionalString('privateKeyPassphrase'),
      warehouse: sf.getString('warehouse'),
      database: sf.getString('database'),
      schema: sf.getString('schema'),
      role: sf.getOptionalString('role'),
      accessUrl: accessUrl?.replace(/\/+$/, ''),
    };
  }

  const k8s = c.getOptionalConfig('kubernetes');
  if (k8s) {
    const kubeconfigPath = k8s.getOptionalString('kubeconfigPath');
    const clusterUrl = k8s.getOptionalString('url');
    if (!kubeconfigPath && !clusterUrl) {
      throw new InputError(
        `${key('kubernetes')} needs credentials: set ${key(
          'kubernetes.kubeconfigPath',
        )} or ${key('kubernetes.url')} with ${key(
          'kubernetes.serviceAccountToken',
        )}.`,
      );
    }
    out.kubernetes = {
      name: k8s.getOptionalString('name') ?? name,
      kubeconfigPath: kubeconfigPath
        ? path.resolve(process.cwd(), expandHome(kubeconfigPath))
        : undefined,
      context: k8s.getOptionalString('context'),
      url: clusterUrl,
      serviceAccountToken: k8s.getOptionalString('serviceAccountToken'),
      caFile: k8s.getOptionalString('caFile'),
      skipTLSVerify: k8s.getOptionalBoolean('skipTLSVerify'),
    };
  }

  const airflow = c.getOptionalConfig('airflow');
  if (airflow) {
    out.airflow = {
      url: url(
        airflow,
        'airflow',
        "Airflow's API server, e.g. http://airflow:8080",
      ),
      username: airflow.getString('username'),
      password: airflow.getString('password'),
    };
  }

  const iceberg = c.getOptionalConfig('iceberg');
  if (iceberg) {
    const catalog = iceberg.getConfig('catalog');
    const type = catalog.getString('type');
    if (type !== 'jdbc') {
      throw new InputError(
        `${key(
          'iceberg.catalog.type',
        )} '${type}' is not supported yet: the inventory reads JDBC catalogs ('jdbc', a PostgreSQL database with the iceberg_tables table). Remove ${key(
          'iceberg',
        )} to skip Iceberg.`,
      );
    }
    const s3 = iceberg.getOptionalConfig('s3');
    const endpoint = s3?.getOptionalString('endpoint');
    if (endpoint !== undefined && !isUrl(endpoint)) {
      throw new InputError(
        `${key('iceberg.s3.endpoint')} '${endpoint}' is not an http(s) URL.`,
      );
    }
    out.iceberg = {
      catalog: {
        type: 'jdbc',
        host: catalog.getString('host'),
        port: portOf(catalog, 'iceberg.catalog'),
        database: catalog.getString('database'),
        user: catalog.getOptionalString('user') ?? 'postgres',
        password: catalog.getOptionalString('password'),
        ssl: catalog.getOptionalBoolean('ssl') ?? false,
        name: catalog.getOptionalString('name'),
      },
      ...(s3
        ? {
            s3: {
              region: s3.getOptionalString('region') ?? 'us-east-1',
              endpoint,
              accessKeyId: s3.getOptionalString('accessKeyId'),
              secretAccessKey: s3.getOptionalString('secretAccessKey'),
              forcePathStyle:
                s3.getOptionalBoolean('forcePathStyle') ?? Boolean(endpoint),
            },
          }
        : {}),
    };
  }
  const consoles = c.getOptionalConfig('consoles');
  if (consoles) {
    out.consoles = {};
    for (const k of ['airflow', 'sparkUi', 'grafana'] as const) {
      const value = consoles.getOptionalString(k);
      if (value === undefined) continue;
      if (!isUrl(value)) {
        throw new InputError(
          `${key(
            `consoles.${k}`,
          )} '${value}' is not an http(s) URL; write the address people open in a browser, e.g. http://localhost:3001.`,
        );
      }
      out.consoles[k] = value.replace(/\/+$/, '');
    }
  }
  return out;
}

/**
 * The configured environments, by name. A pipeline is monitored in the
 * environment its spec names (`spec.environment.name`).
 */
export function readPipelineEnvironments(
  config: RootConfigService,
): Map<string, PipelineEnvironmentConfig> {
  const root = config.getOptionalConfig(ENVIRONMENTS_KEY);
  const out = new Map<string, PipelineEnvironmentConfig>();
  for (const name of root?.keys() ?? []) {
    out.set(name, readEnvironment(name, root!.getConfig(name)));
  }
  return out;
}
