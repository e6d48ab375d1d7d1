import { HttpAuthService } from '@backstage/backend-plugin-api';
import { CATALOG_FILTER_EXISTS } from '@backstage/catalog-client';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { InputError, NotFoundError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  ANNOTATION_PIPELINE_SPEC,
  PipelineListResponse,
  PipelineSpecResponse,
  PipelineSummary,
  pipelineSizing,
} from '@internal/backstage-plugin-lambda-pipeline-common';
import { PipelineSpecService } from '@internal/backstage-plugin-lambda-pipeline-node';
import express from 'express';
import Router from 'express-promise-router';
import { PipelineMonitor } from './monitor/PipelineMonitor';

/**
 * One entity per pipeline: a Component whose System carries the same spec is
 * that System's jobs, not a pipeline of its own (the monitor samples the
 * System).
 */
function onePerPipeline(items: Entity[]): Entity[] {
  const systems = new Map(
    items
      .filter(e => e.kind === 'System')
      .map(e => [
        `${e.metadata.namespace ?? 'default'}/${e.metadata.name}`,
        e.metadata.annotations?.[ANNOTATION_PIPELINE_SPEC],
      ]),
  );
  return items.filter(e => {
    const system = e.spec?.system;
    if (e.kind === 'System' || typeof system !== 'string') return true;
    const ref = system.includes('/')
      ? system.replace(/^system:/, '')
      : `${e.metadata.namespace ?? 'default'}/${system}`;
    return (
      systems.get(ref) !== e.metadata.annotations?.[ANNOTATION_PIPELINE_SPEC]
    );
  });
}

/**
 * Routes of the lambda-pipeline backend. Built from already constructed
 * services so it can be tested without infrastructure; errors thrown from
 * `@backstage/errors` become the right HTTP status via the framework.
 */
export async function createRouter(options: {
  httpAuth: HttpAuthService;
  catalog: CatalogService;
  specs: PipelineSpecService;
  monitor: PipelineMonitor;
}): Promise<express.Router> {
  const { httpAuth, catalog, specs, monitor } = options;
  const router = Router();

  router.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });

  router.get('/pipelines', async (req, res) => {
    const credentials = await httpAuth.credentials(req);
    const { items } = await catalog.getEntities(
      {
        filter: {
          [`metadata.annotations.${ANNOTATION_PIPELINE_SPEC}`]:
            CATALOG_FILTER_EXISTS,
        },
        fields: ['kind', 'metadata', 'spec.owner', 'spec.system'],
      },
      { credentials },
    );
    const statuses = await monitor.latestStatuses();
    const pipelines: PipelineSummary[] = await Promise.all(
      onePerPipeline(items).map(async (entity: Entity) => {
        const entityRef = stringifyEntityRef(entity);
        const health = statuses.get(entityRef);
        return {
          entityRef,
          kind: entity.kind,
          namespace: entity.metadata.namespace ?? 'default',
          name: entity.metadata.name,
          title: entity.metadata.title,
          owner: entity.spec?.owner as string | undefined,
          specLocation: entity.metadata.annotations![ANNOTATION_PIPELINE_SPEC],
          health: health
            ? {
                status: health.status,
                reason: health.reason,
                checkedAt: health.at.toISOString(),
              }
            : null,
          ...(await monitor.overview(entity)),
        };
      }),
    );
    const body: PipelineListResponse = { items: pipelines };
    res.json(body);
  });

  router.get('/pipelines/:namespace/:name/spec', async (req, res) => {
    const credentials = await httpAuth.credentials(req);
    const { namespace, name } = req.params;
    const { items } = await catalog.getEntities(
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
    if (items.length === 0) {
      throw new NotFoundError(
        `No pipeline entity ${namespace}/${name} in the catalog`,
      );
    }
    const spec = await specs.loadSpec(items[0]);
    const body: PipelineSpecResponse = {
      entityRef: stringifyEntityRef(items[0]),
      spec,
      sizing: pipelineSizing(spec),
      links: monitor.links(spec),
    };
    res.json(body);
  });

  router.get('/pipelines/:namespace/:name/health', async (req, res) => {
    const credentials = await httpAuth.credentials(req);
    const pipeline = await monitor.resolve(
      req.params.namespace,
      req.params.name,
      credentials,
    );
    res.json(await monitor.health(pipeline));
  });

  router.get('/pipelines/:namespace/:name/throughput', async (req, res) => {
    const credentials = await httpAuth.credentials(req);
    const retentionMinutes = monitor.config.retentionDays * 1440;
    const raw = req.query.windowMinutes;
    const windowMinutes = raw === undefined ? 60 : Number(raw);
    if (
      !Number.isInteger(windowMinutes) ||
      windowMinutes < 1 ||
      windowMinutes > retentionMinutes
    ) {
      throw new InputError(
        `windowMinutes must be a whole number of minutes between 1 and ${retentionMinutes} (the retention); got '${raw}'.`,
      );
    }
    const pipeline = await monitor.resolve(
      req.params.namespace,
      req.params.name,
      credentials,
    );
    res.json(await monitor.throughput(pipeline, windowMinutes));
  });

  router.get('/pipelines/:namespace/:name/consistency', async (req, res) => {
    const credentials = await httpAuth.credentials(req);
    const refresh = req.query.refresh;
    if (refresh !== undefined && refresh !== 'true' && refresh !== 'false') {
      throw new InputError(
        `refresh must be 'true' or 'false'; got '${refresh}'.`,
      );
    }
    const pipeline = await monitor.resolve(
      req.params.namespace,
      req.params.name,
      credentials,
    );
    res.json(
      await monitor.consistency(pipeline, { refresh: refresh === 'true' }),
    );
  });

  return router;
}
