import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import {
  airflowProbeServiceRef,
  clickhouseProbeServiceRef,
  connectProbeServiceRef,
  kafkaProbeServiceRef,
  kubernetesProbeServiceRef,
  pipelineEnvironmentsServiceRef,
  pipelineSpecServiceRef,
  postgresProbeServiceRef,
  snowflakeProbeServiceRef,
} from '@internal/backstage-plugin-lambda-pipeline-node';
import {
  PipelineMonitor,
  readMonitoringConfig,
} from './monitor/PipelineMonitor';
import { MonitorStore } from './monitor/store';
import { createRouter } from './router';

/**
 * The lambda-pipeline backend plugin: pipelines, their specs, and their
 * health, throughput and layer consistency. A scheduled sampler records
 * counters and health (throughput is their growth) and reconciles the
 * layers, in the plugin's own database tables.
 *
 * @public
 */
export const lambdaPipelinePlugin = createBackendPlugin({
  pluginId: 'lambda-pipeline',
  register(env) {
    env.registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        auth: coreServices.auth,
        httpAuth: coreServices.httpAuth,
        httpRouter: coreServices.httpRouter,
        database: coreServices.database,
        scheduler: coreServices.scheduler,
        catalog: catalogServiceRef,
        specs: pipelineSpecServiceRef,
        environments: pipelineEnvironmentsServiceRef,
        postgres: postgresProbeServiceRef,
        kafka: kafkaProbeServiceRef,
        connect: connectProbeServiceRef,
        clickhouse: clickhouseProbeServiceRef,
        snowflake: snowflakeProbeServiceRef,
        kubernetes: kubernetesProbeServiceRef,
        airflow: airflowProbeServiceRef,
      },
      async init(deps) {
        const {
          config,
          logger,
          auth,
          httpAuth,
          httpRouter,
          database,
          scheduler,
          catalog,
          specs,
        } = deps;
        const monitoring = readMonitoringConfig(config);
        const monitor = new PipelineMonitor({
          catalog,
          specs,
          auth,
          logger,
          config: monitoring,
          store: await MonitorStore.create(database),
          probes: {
            environments: deps.environments,
            postgres: deps.postgres,
            kafka: deps.kafka,
            connect: deps.connect,
            clickhouse: deps.clickhouse,
            snowflake: deps.snowflake,
            kubernetes: deps.kubernetes,
            airflow: deps.airflow,
          },
        });
        await scheduler.scheduleTask({
          id: 'lambda-pipeline-sampler',
          frequency: { seconds: monitoring.sampleIntervalSeconds },
          timeout: { minutes: 5 },
          initialDelay: { seconds: 5 },
          fn: async () => {
            await monitor.forEachPipeline('sampling', p => monitor.sample(p));
            await monitor.prune();
          },
        });
        await scheduler.scheduleTask({
          id: 'lambda-pipeline-consistency',
          frequency: { minutes: monitoring.consistencyIntervalMinutes },
          timeout: { minutes: 30 },
          initialDelay: { seconds: 30 },
          fn: () =>
            monitor.forEachPipeline(
              'reconciliation',
              async p => void (await monitor.reconcile(p)),
            ),
        });
        httpRouter.use(
          await createRouter({ httpAuth, catalog, specs, monitor }),
        );
        httpRouter.addAuthPolicy({ path: '/health', allow: 'unauthenticated' });
      },
    });
  },
});
