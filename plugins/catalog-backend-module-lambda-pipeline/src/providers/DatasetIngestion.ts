import { LoggerService } from '@backstage/backend-plugin-api';
import { Entity } from '@backstage/catalog-model';
import type { LiveDatasetSystem } from '@internal/backstage-plugin-lambda-pipeline-common';
import { DatasetCatalogConfig } from '../config';
import {
  auxiliaryDatasetEntity,
  claimKey,
  LiveIndex,
  PipelineSource,
  pipelineDatasetEntities,
  unmanagedDatasetEntity,
} from '../entities/datasets';
import { Inventory, InventoryTarget } from '../inventory/Inventory';
import { InventoryResult, InventorySnapshot } from '../inventory/types';
import { DatasetEntityProvider } from './DatasetEntityProvider';

/** Provider of the datasets that pipelines own (from their specs). */
export const PIPELINE_DATASETS_PROVIDER = 'lambda-pipeline-datasets';

/** Provider of the datasets no pipeline owns, one per environment and system. */
export const liveProviderName = (
  environment: string,
  system: LiveDatasetSystem,
) => `lambda-pipeline-live-datasets:${environment}:${system}`;

/** What one ingestion cycle did. */
export type IngestionReport = {
  pipelines: number;
  /** Entities given to each provider; absent for a provider left as it was. */
  entities: Record<string, number>;
  /** Systems that could not be read, with the error. */
  failures: Array<{ environment: string; system: string; error: string }>;
  durationMs: number;
};

const SYSTEM_TITLE: Record<LiveDatasetSystem, string> = {
  kafka: 'Kafka',
  clickhouse: 'ClickHouse',
  snowflake: 'Snowflake',
  iceberg: 'Iceberg',
};

/** Unquoted Snowflake identifiers are upper case; quoted ones are kept as written. */
const snowflakeName = (name: string) => {
  if (/^[A-Za-z_][A-Za-z0-9_$]*$/.test(name)) return name.toUpperCase();
  return name.replace(/^"(.*)"$/, '$1');
};

/**
 * One cycle of the dataset catalog, run on the module's schedule:
 *
 * 1. find the pipelines in the catalog and load their specs;
 * 2. read every configured live system of every environment, at once;
 * 3. give the pipelines' provider every dataset of every pipeline, enriched
 *    with live facts, plus the live datasets inside a pipeline's own space;
 * 4. give each live provider the datasets of its system that no pipeline
 *    owns, but only if that system answered: a failed read logs which system
 *    failed and leaves that provider's entities as they were.
 */
export class DatasetIngestion {
  readonly pipelineProvider: DatasetEntityProvider;
  readonly liveProviders = new Map<string, DatasetEntityProvider>();

  constructor(
    private readonly deps: {
      logger: LoggerService;
      findPipelines: () => Promise<PipelineSource[]>;
      inventory: Inventory;
      /** The systems to read, fixed at startup (each gets its own provider). */
      targets: InventoryTarget[];
      /** Snowflake database each environment's connection defaults to. */
      snowflakeDefaultDatabase: (environment: string) => string | undefined;
      config: DatasetCatalogConfig;
    },
    onConnect?: () => Promise<void>,
  ) {
    this.pipelineProvider = new DatasetEntityProvider(
      PIPELINE_DATASETS_PROVIDER,
      onConnect,
    );
    for (const t of deps.targets) {
      const name = liveProviderName(t.environment, t.system);
      this.liveProviders.set(name, new DatasetEntityProvider(name));
    }
  }

  providers(): DatasetEntityProvider[] {
    return [this.pipelineProvider, ...this.liveProviders.values()];
  }

  async run(): Promise<IngestionReport> {
    const { logger, inventory, targets, config } = this.deps;
    const started = Date.now();
    const report: IngestionReport = {
      pipelines: 0,
      entities: {},
      failures: [],
      durationMs: 0,
    };
    const waiting = this.providers().filter(p => !p.connected);
    if (waiting.length > 0) {
      logger.info(
        `Pipeline datasets: waiting for the catalog to connect ${waiting
          .map(p => p.getProviderName())
          .join(', ')}`,
      );
      return report;
    }

    // Without the pipelines every dataset would look unmanaged: stop here.
    let pipelines: PipelineSource[];
    try {
      pipelines = await this.deps.findPipelines();
    } catch (error) {
      logger.error(
        `Pipeline datasets: cannot list the pipelines in the catalog, nothing changed this time: ${
          (error as Error).message
        }`,
      );
      return report;
    }
    report.pipelines = pipelines.length;

    const results = await inventory.collect(targets, {
      snowflakeDatabases: environment =>
        [
          this.deps.snowflakeDefaultDatabase(environment),
          ...pipelines
            .filter(p => p.spec.spec.environment.name === environment)
            .map(p => p.spec.spec.snowflake.database),
          ...config.live.snowflakeDatabases,
        ]
          .filter((d): d is string => Boolean(d))
          .map(snowflakeName),
    });
    const snapshots: InventorySnapshot[] = [];
    for (const r of results) {
      if (r.status === 'ok') {
        snapshots.push(r.snapshot);
      } else {
        if (r.previous) snapshots.push(r.previous);
        report.failures.push({
          environment: r.environment,
          system: r.system,
          error: r.error.message,
        });
        logger.warn(
          `Pipeline datasets: ${SYSTEM_TITLE[r.system]} in environment '${
            r.environment
          }' could not be read, its datasets stay as they were: ${
            r.error.message
          }`,
        );
      }
    }
    const live = new LiveIndex(snapshots);

    // The pipelines' own datasets, and what each of them claims.
    const managed: Array<{ entity: Entity; locationKey: string }> = [];
    const managedNames = new Set<string>();
    const claimed = new Set<string>();
    const prefixOwners = new Map<string, PipelineSource[]>();
    const addManaged = (entity: Entity, pipeline: PipelineSource) => {
      const name = entity.metadata.name.toLowerCase();
      if (managedNames.has(name)) {
        logger.warn(
          `Pipeline datasets: two datasets are named ${entity.metadata.name}; the one of pipeline ${pipeline.spec.metadata.name} is skipped`,
        );
        return;
      }
      managedNames.add(name);
      managed.push({
        entity,
        locationKey: `${PIPELINE_DATASETS_PROVIDER}:${pipeline.spec.metadata.name}`,
      });
    };
    for (const pipeline of pipelines) {
      const { entities, claims } = pipelineDatasetEntities(pipeline, live);
      entities.forEach(e => addManaged(e, pipeline));
      claims.names.forEach(k => claimed.add(k));
      for (const p of claims.prefixes) {
        const key = `${p.environment}/${p.system}/${p.prefix}`;
        prefixOwners.set(key, [...(prefixOwners.get(key) ?? []), pipeline]);
      }
    }
    // A prefix shared by two pipelines (say, one ClickHouse database) owns nothing.
    const prefixes = new Map<
      string,
      Array<{ prefix: string; pipeline: PipelineSource }>
    >();
    for (const [key, owners] of prefixOwners) {
      if (owners.length !== 1) continue;
      const [environment, system, ...rest] = key.split('/');
      const group = `${environment}/${system}`;
      prefixes.set(group, [
        ...(prefixes.get(group) ?? []),
        { prefix: rest.join('/'), pipeline: owners[0] },
      ]);
    }

    const unmanaged = new Map<string, Array<{ entity: Entity }>>();
    const ok = new Set(
      results
        .filter(
          (r): r is Extract<InventoryResult, { status: 'ok' }> =>
            r.status === 'ok',
        )
        .map(r => `${r.snapshot.environment}/${r.snapshot.system}`),
    );
    for (const snapshot of snapshots) {
      const group = `${snapshot.environment}/${snapshot.system}`;
      const exclude = config.live.exclude[snapshot.system];
      const owners = prefixes.get(group) ?? [];
      const list: Array<{ entity: Entity }> = [];
      for (const dataset of snapshot.datasets) {
        if (
          claimed.has(
            claimKey(dataset.environment, dataset.system, dataset.name),
          )
        ) {
          continue;
        }
        if (exclude.some(pattern => pattern.test(dataset.name))) continue;
        const owner = owners.find(o => dataset.name.startsWith(o.prefix));
        if (owner) {
          addManaged(
            auxiliaryDatasetEntity(owner.pipeline, dataset),
            owner.pipeline,
          );
          continue;
        }
        if (!config.live.unmanaged.enabled) continue;
        const entity = unmanagedDatasetEntity(dataset, {
          owner: config.live.unmanaged.owner,
        });
        if (managedNames.has(entity.metadata.name.toLowerCase())) {
          logger.warn(
            `Pipeline datasets: ${dataset.system} dataset ${dataset.name} of environment ${dataset.environment} would be named ${entity.metadata.name}, like a pipeline's dataset; it is not listed`,
          );
          continue;
        }
        list.push({ entity });
      }
      if (ok.has(group)) unmanaged.set(group, list);
    }

    await this.pipelineProvider.replace(managed);
    report.entities[PIPELINE_DATASETS_PROVIDER] = managed.length;
    for (const t of targets) {
      const list = unmanaged.get(`${t.environment}/${t.system}`);
      if (!list) continue; // failed this time: keep what it listed before
      const name = liveProviderName(t.environment, t.system);
      await this.liveProviders.get(name)!.replace(list);
      report.entities[name] = list.length;
    }
    report.durationMs = Date.now() - started;
    logger.info(
      `Pipeline datasets: ${report.pipelines} pipeline(s), ${
        managed.length
      } pipeline dataset(s), ${Object.entries(report.entities)
        .filter(([name]) => name !== PIPELINE_DATASETS_PROVIDER)
        .reduce((sum, [, n]) => sum + n, 0)} unmanaged dataset(s)${
        report.failures.length
          ? `, ${report.failures.length} system(s) not read`
          : ''
      } in ${report.durationMs} ms`,
    );
    return report;
  }
}
