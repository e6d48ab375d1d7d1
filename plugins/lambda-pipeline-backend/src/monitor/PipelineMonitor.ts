import {
  AuthService,
  BackstageCredentials,
  LoggerService,
  RootConfigService,
} from '@backstage/backend-plugin-api';
import { CATALOG_FILTER_EXISTS } from '@backstage/catalog-client';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { InputError, NotFoundError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  ANNOTATION_PIPELINE_SPEC,
  LambdaPipeline,
  PipelineConsistencyResponse,
  PipelineLink,
  PipelineHealthResponse,
  PipelineSummary,
  PipelineThroughputResponse,
} from '@internal/backstage-plugin-lambda-pipeline-common';
import { PipelineSpecService } from '@internal/backstage-plugin-lambda-pipeline-node';
import { checkConsistency, runOf } from './consistency';
import { countersOf } from './counters';
import { assessHealth } from './health';
import { pipelineLinks } from './links';
import { observePipeline, Probes } from './observe';
import { MonitorStore } from './store';
import { monitorTargets, MonitorTargets } from './targets';
import { computeThroughput } from './throughput';

/** `lambdaPipelines.monitoring`. */
export type MonitoringConfig = {
  /** Seconds between samples of every pipeline. */
  sampleIntervalSeconds: number;
  /** Days of samples and consistency checks kept. */
  retentionDays: number;
  /** Minutes between scheduled consistency checks. */
  consistencyIntervalMinutes: number;
};

export const DEFAULT_MONITORING: MonitoringConfig = {
  sampleIntervalSeconds: 30,
  retentionDays: 7,
  consistencyIntervalMinutes: 5,
};

export function readMonitoringConfig(
  config: RootConfigService,
): MonitoringConfig {
  const c = config.getOptionalConfig('lambdaPipelines.monitoring');
  const read = (key: keyof MonitoringConfig, min: number, max: number) => {
    const value = c?.getOptionalNumber(key) ?? DEFAULT_MONITORING[key];
    if (!Number.isFinite(value) || value < min || value > max) {
      throw new InputError(
        `lambdaPipelines.monitoring.${key} must be between ${min} and ${max}; got ${value}.`,
      );
    }
    return value;
  };
  return {
    sampleIntervalSeconds: read('sampleIntervalSeconds', 5, 3600),
    retentionDays: read('retentionDays', 1, 365),
    consistencyIntervalMinutes: read('consistencyIntervalMinutes', 1, 1440),
  };
}

/** A pipeline entity, its spec and what to monitor. */
export type MonitoredPipeline = {
  entity: Entity;
  entityRef: string;
  targets: MonitorTargets;
};

/**
 * Health, throughput and consistency of the pipelines in the catalog: live
 * probes for health, stored samples for throughput, stored and on-demand
 * reconciliation for consistency.
 */
export class PipelineMonitor {
  constructor(
    private readonly deps: {
      catalog: CatalogService;
      specs: PipelineSpecService;
      probes: Probes;
      store: MonitorStore;
      auth: AuthService;
      logger: LoggerService;
      config: MonitoringConfig;
    },
  ) {}

  get config(): MonitoringConfig {
    return this.deps.config;
  }

  /** Every entity that carries a pipeline spec (one per spec: the System wins over its Component). */
  async pipelineEntities(credentials: BackstageCredentials): Promise<Entity[]> {
    const { items } = await this.deps.catalog.getEntities(
      {
        filter: {
          [`metadata.annotations.${ANNOTATION_PIPELINE_SPEC}`]:
            CATALOG_FILTER_EXISTS,
        },
      },
      { credentials },
    );
    return items;
  }

  async resolve(
    namespace: string,
    name: string,
    credentials: BackstageCredentials,
  ): Promise<MonitoredPipeline> {
    const { items } = await this.deps.catalog.getEntities(
      {
        filter: {
          'metadata.namespace': namespace,
          'metadata.name': name,
          [`metadata.annotations.${ANNOTATION_PIPELINE_SPEC}`]:
            CATALOG_FILTER_EXISTS,
        },
      },
      { credentials },
    );
    if (items.length === 0)
      throw new NotFoundError(
        `No pipeline entity ${namespace}/${name} in the catalog`,
      );
    return this.toMonitored(items[0]);
  }

  async toMonitored(entity: Entity): Promise<MonitoredPipeline> {
    const spec = await this.deps.specs.loadSpec(entity);
    return {
      entity,
      entityRef: stringifyEntityRef(entity),
      targets: monitorTargets(spec),
    };
  }

  private readonly inFlight = new Map<
    string,
    Promise<PipelineHealthResponse>
  >();

  /**
   * Live health. Callers asking for the same pipeline while a check runs share
   * it, so a page of tabs refreshing together asks each system once.
   */
  async health(p: MonitoredPipeline): Promise<PipelineHealthResponse> {
    const running = this.inFlight.get(p.entityRef);
    if (running) return running;
    const check = this.checkHealth(p).finally(() =>
      this.inFlight.delete(p.entityRef),
    );
    this.inFlight.set(p.entityRef, check);
    return check;
  }

  private async checkHealth(
    p: MonitoredPipeline,
  ): Promise<PipelineHealthResponse> {
    const [observations, previous, consistency] = await Promise.all([
      observePipeline(this.deps.probes, p.targets),
      this.deps.store.latestSample(p.entityRef),
      this.deps.store.consistencyHistory(p.entityRef, 1),
    ]);
    return assessHealth(
      p.entityRef,
      p.targets,
      observations,
      previous,
      consistency[0],
    );
  }

  async throughput(
    p: MonitoredPipeline,
    windowMinutes: number,
  ): Promise<PipelineThroughputResponse> {
    const samples = await this.deps.store.samples(
      p.entityRef,
      new Date(Date.now() - windowMinutes * 60_000),
    );
    return computeThroughput(
      p.entityRef,
      p.targets,
      samples,
      this.deps.config.sampleIntervalSeconds,
    );
  }

  /** The newest check if it is recent enough (or `refresh`), else a new one; with the history. */
  async consistency(
    p: MonitoredPipeline,
    options: { refresh?: boolean } = {},
  ): Promise<PipelineConsistencyResponse> {
    const maxAgeMs = this.deps.config.consistencyIntervalMinutes * 60_000;
    let result = options.refresh
      ? undefined
      : await this.deps.store.latestConsistency(p.entityRef);
    if (
      !result ||
      Date.now() - new Date(result.checkedAt).getTime() > maxAgeMs
    ) {
      result = await this.reconcile(p);
    }
    return {
      ...result,
      history: await this.deps.store.consistencyHistory(p.entityRef, 100),
    };
  }

  async reconcile(p: MonitoredPipeline) {
    const result = await checkConsistency(
      this.deps.probes,
      p.entityRef,
      p.targets,
    );
    await this.deps.store.addConsistency(p.entityRef, result, runOf(result));
    return result;
  }

  /** One sample of one pipeline: counters for throughput, and its health for the pipelines list. */
  async sample(p: MonitoredPipeline): Promise<void> {
    const [observations, previous, consistency] = await Promise.all([
      observePipeline(this.deps.probes, p.targets),
      this.deps.store.latestSample(p.entityRef),
      this.deps.store.consistencyHistory(p.entityRef, 1),
    ]);
    const { positions, ...counters } = countersOf(
      p.targets,
      observations,
      previous?.positions,
    );
    const health = assessHealth(
      p.entityRef,
      p.targets,
      observations,
      previous,
      consistency[0],
    );
    await this.deps.store.addSample(p.entityRef, {
      at: observations.at,
      environment: p.targets.environment,
      counters,
      positions,
      status: health.status,
      reason: health.reason,
    });
  }

  /** Runs `fn` for every pipeline in the catalog, as this plugin; one failing pipeline does not stop the others. */
  async forEachPipeline(
    what: string,
    fn: (p: MonitoredPipeline) => Promise<void>,
  ): Promise<void> {
    const credentials = await this.deps.auth.getOwnServiceCredentials();
    const seen = new Set<string>();
    for (const entity of await this.pipelineEntities(credentials)) {
      // A System and its Component share one spec: monitor the spec once, as the System.
      if (
        entity.kind !== 'System' &&
        (await this.hasSystemFor(entity, credentials))
      )
        continue;
      const ref = stringifyEntityRef(entity);
      if (seen.has(ref)) continue;
      seen.add(ref);
      try {
        await fn(await this.toMonitored(entity));
      } catch (error) {
        this.deps.logger.warn(
          `${what} of ${ref} failed: ${(error as Error).message}`,
        );
      }
    }
  }

  private async hasSystemFor(
    entity: Entity,
    credentials: BackstageCredentials,
  ): Promise<boolean> {
    const system = entity.spec?.system;
    if (typeof system !== 'string') return false;
    const { items } = await this.deps.catalog.getEntities(
      {
        filter: {
          kind: 'System',
          'metadata.name': system.replace(/^.*[:/]/, ''),
        },
        fields: ['metadata.annotations'],
      },
      { credentials },
    );
    return items.some(
      i =>
        i.metadata.annotations?.[ANNOTATION_PIPELINE_SPEC] ===
        entity.metadata.annotations?.[ANNOTATION_PIPELINE_SPEC],
    );
  }

  /**
   * What the pipelines list shows of one pipeline besides its health: the
   * spec's environment, the Kafka ingest rate between the two newest samples
   * against the target, and each layer's freshness in the newest sample.
   */
  async overview(
    entity: Entity,
  ): Promise<
    Pick<PipelineSummary, 'environment' | 'throughput' | 'freshness'>
  > {
    let targets: MonitorTargets;
    try {
      targets = (await this.toMonitored(entity)).targets;
    } catch {
      return { environment: null, throughput: null, freshness: null };
    }
    const [newest, previous] = await this.deps.store.latestSamples(
      stringifyEntityRef(entity),
      2,
    );
    const rate = computeThroughput(
      stringifyEntityRef(entity),
      targets,
      [previous, newest]
        .filter(Boolean)
        .map(x => ({ at: x.at, counters: x.counters })),
      this.deps.config.sampleIntervalSeconds,
    ).stages.find(stage => stage.id === 'ingest')!.current;
    return {
      environment: targets.environment,
      throughput: {
        eventsPerSecond: rate,
        targetEventsPerSecond: targets.targetEventsPerSecond,
      },
      freshness: newest
        ? {
            speedNewestEvent: newest.counters.speedNewestEvent,
            batchCompleteUpTo: newest.counters.batchCompleteUpTo,
          }
        : null,
    };
  }

  /** Where to look at the pipeline outside Backstage, from its environment's settings. */
  links(spec: LambdaPipeline): PipelineLink[] {
    return pipelineLinks(
      spec,
      this.deps.probes.environments.get(spec.spec.environment.name),
    );
  }

  async prune(): Promise<number> {
    return this.deps.store.prune(
      new Date(Date.now() - this.deps.config.retentionDays * 86_400_000),
    );
  }

  async latestStatuses() {
    return this.deps.store.latestStatuses();
  }
}
