import {
  coreServices,
  createServiceFactory,
  createServiceRef,
} from '@backstage/backend-plugin-api';
import { AirflowProbe, AirflowRestProbe } from './airflow';
import { ClickHouseHttpProbe, ClickHouseProbe } from './clickhouse';
import { PipelineEnvironments, readProbeTimeoutMs } from './common';
import { ConnectProbe, ConnectRestProbe } from './connect';
import { IcebergJdbcProbe, IcebergProbe } from './iceberg';
import { KafkaAdminProbe, KafkaProbe } from './kafka';
import { KubernetesApiProbe, KubernetesProbe } from './kubernetes';
import { PostgresPoolProbe, PostgresProbe } from './postgres';
import { SnowflakeProbe, SnowflakeSdkProbe } from './snowflake';

/**
 * The environments of `lambdaPipelines.environments` (one parse of the
 * config, shared by every probe). Root-scoped, like the probes: one set of
 * connections per backend, shared by the backend plugin and the catalog
 * module.
 */
export const pipelineEnvironmentsServiceRef =
  createServiceRef<PipelineEnvironments>({
    id: 'lambda-pipelines.environments',
    scope: 'root',
    defaultFactory: async service =>
      createServiceFactory({
        service,
        deps: { config: coreServices.rootConfig },
        factory: ({ config }) => PipelineEnvironments.fromConfig(config),
      }),
  });

type Closable = { close?: () => Promise<void> };

/** A root-scoped probe service with a default factory; each is replaceable (tests, other clients). */
function probeRef<T>(
  id: string,
  create: (
    environments: PipelineEnvironments,
    options: { timeoutMs: number; logger: any },
  ) => T & Closable,
) {
  return createServiceRef<T>({
    id: `lambda-pipelines.probe.${id}`,
    scope: 'root',
    defaultFactory: async service =>
      createServiceFactory({
        service,
        deps: {
          config: coreServices.rootConfig,
          logger: coreServices.rootLogger,
          lifecycle: coreServices.rootLifecycle,
          environments: pipelineEnvironmentsServiceRef,
        },
        factory: ({ config, logger, lifecycle, environments }) => {
          const probe = create(environments, {
            timeoutMs: readProbeTimeoutMs(config),
            logger: logger.child({ probe: id }),
          });
          if (probe.close) lifecycle.addShutdownHook(() => probe.close!());
          return probe;
        },
      }),
  });
}

export const kafkaProbeServiceRef = probeRef<KafkaProbe>(
  'kafka',
  (e, o) => new KafkaAdminProbe(e, o),
);
export const connectProbeServiceRef = probeRef<ConnectProbe>(
  'connect',
  (e, o) => new ConnectRestProbe(e, o),
);
export const clickhouseProbeServiceRef = probeRef<ClickHouseProbe>(
  'clickhouse',
  (e, o) => new ClickHouseHttpProbe(e, o),
);
export const snowflakeProbeServiceRef = probeRef<SnowflakeProbe>(
  'snowflake',
  (e, o) => new SnowflakeSdkProbe(e, o),
);
export const postgresProbeServiceRef = probeRef<PostgresProbe>(
  'postgres',
  (e, o) => new PostgresPoolProbe(e, o),
);
export const kubernetesProbeServiceRef = probeRef<KubernetesProbe>(
  'kubernetes',
  (e, o) => new KubernetesApiProbe(e, o),
);
export const airflowProbeServiceRef = probeRef<AirflowProbe>(
  'airflow',
  (e, o) => new AirflowRestProbe(e, o),
);
export const icebergProbeServiceRef = probeRef<IcebergProbe>(
  'iceberg',
  (e, o) => new IcebergJdbcProbe(e, o),
);
