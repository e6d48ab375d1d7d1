import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import {
  catalogLocationsExtensionPoint,
  catalogProcessingExtensionPoint,
  catalogServiceRef,
} from '@backstage/plugin-catalog-node';
import {
  clickhouseProbeServiceRef,
  icebergProbeServiceRef,
  kafkaProbeServiceRef,
  pipelineEnvironmentsServiceRef,
  pipelineSpecServiceRef,
  snowflakeProbeServiceRef,
} from '@internal/backstage-plugin-lambda-pipeline-node';
import { CATALOG_KEY, readDatasetCatalogConfig } from './config';
import {
  clickhouseCollector,
  icebergCollector,
  kafkaCollector,
  snowflakeCollector,
} from './inventory/collectors';
import { Inventory } from './inventory/Inventory';
import { LambdaPipelineSpecProcessor } from './processor/LambdaPipelineSpecProcessor';
import { DatasetIngestion } from './providers/DatasetIngestion';
import { PipelineFinder } from './providers/PipelineFinder';

/** Id of the scheduled task that refreshes every dataset entity. */
export const DATASETS_TASK_ID = 'lambda-pipeline-datasets';

/**
 * Catalog module of Lambda pipelines: validates pipeline specs, and lists
 * every dataset as a Resource entity: the datasets of each pipeline (from its
 * spec, with lineage, enriched by the live systems) and the datasets of the
 * live systems that no pipeline owns.
 */
export const catalogModuleLambdaPipeline = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'lambda-pipeline',
  register({ registerInit }) {
    registerInit({
      deps: {
        logger: coreServices.logger,
        config: coreServices.rootConfig,
        scheduler: coreServices.scheduler,
        auth: coreServices.auth,
        catalog: catalogServiceRef,
        locations: catalogLocationsExtensionPoint,
        processing: catalogProcessingExtensionPoint,
        specs: pipelineSpecServiceRef,
        environments: pipelineEnvironmentsServiceRef,
        kafka: kafkaProbeServiceRef,
        clickhouse: clickhouseProbeServiceRef,
        snowflake: snowflakeProbeServiceRef,
        iceberg: icebergProbeServiceRef,
      },
      async init(deps) {
        const { logger, config, locations, processing, specs, environments } =
          deps;
        // Pipelines published to local bare Git repositories are registered
        // as `file` locations (lambda:catalog:register-local). Allowed only
        // when local publishing is configured: it lets users with
        // catalog.location.create register files of the backend's host.
        if (config.has('lambdaPipelines.publish.local.directory')) {
          locations.setAllowedLocationTypes(['url', 'file']);
          logger.info(
            "Catalog accepts 'file' locations for locally published pipelines (lambdaPipelines.publish.local.directory is set)",
          );
        }
        processing.addProcessor(
          LambdaPipelineSpecProcessor.create({ specs, logger }),
        );

        const settings = readDatasetCatalogConfig(config);
        const configured = environments.names();
        const unknown = (settings.live.environments ?? []).filter(
          e => !configured.includes(e),
        );
        if (unknown.length > 0) {
          throw new InputError(
            `${CATALOG_KEY}.live.environments lists ${unknown.join(
              ', ',
            )}, which lambdaPipelines.environments does not configure (configured: ${
              configured.join(', ') || 'none'
            }).`,
          );
        }
        const targets = (settings.live.environments ?? configured).flatMap(
          environment =>
            settings.live.systems
              .filter(system => environments.has(environment, system))
              .map(system => ({ environment, system })),
        );
        const inventory = new Inventory(
          {
            kafka: kafkaCollector(deps.kafka),
            clickhouse: clickhouseCollector(deps.clickhouse),
            snowflake: snowflakeCollector(deps.snowflake),
            iceberg: icebergCollector(deps.iceberg),
          },
          { timeoutMs: settings.live.timeoutMs },
        );
        const finder = new PipelineFinder({
          catalog: deps.catalog,
          auth: deps.auth,
          specs,
          logger,
        });
        const ingestion: DatasetIngestion = new DatasetIngestion(
          {
            logger,
            findPipelines: () => finder.find(),
            inventory,
            targets,
            snowflakeDefaultDatabase: environment =>
              environments.has(environment, 'snowflake')
                ? environments.settings(environment, 'snowflake').database
                : undefined,
            config: settings,
          },
          // Scheduled once the catalog has connected the providers.
          () =>
            deps.scheduler.scheduleTask({
              id: DATASETS_TASK_ID,
              ...settings.schedule,
              fn: async () => {
                await ingestion.run();
              },
            }),
        );
        for (const provider of ingestion.providers()) {
          processing.addEntityProvider(provider);
        }
        logger.info(
          `Pipeline datasets: reading ${
            targets.length > 0
              ? targets.map(t => `${t.system} (${t.environment})`).join(', ')
              : 'no live system (configure lambdaPipelines.environments)'
          }`,
        );
      },
    });
  },
});
