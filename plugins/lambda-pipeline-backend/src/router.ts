import { HttpAuthService } from '@backstage/backend-plugin-api';
import { CATALOG_FILTER_EXISTS } from '@backstage/catalog-client';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { NotFoundError } from '@backstage/errors';
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

/**
 * Routes of the lambda-pipeline backend. Built from already constructed
 * services so it can be tested without infrastructure; errors thrown from
 * `@backstage/errors` become the right HTTP status via the framework.
 */
export async function createRouter(options: {
  httpAuth: HttpAuthService;
  catalog: CatalogService;
  specs: PipelineSpecService;
}): Promise<express.Router> {
  const { httpAuth, catalog, specs } = options;
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
        fields: ['kind', 'metadata', 'spec.owner'],
      },
      { credentials },
    );
    const pipelines: PipelineSummary[] = items.map((entity: Entity) => ({
      entityRef: stringifyEntityRef(entity),
      kind: entity.kind,
      namespace: entity.metadata.namespace ?? 'default',
      name: entity.metadata.name,
      title: entity.metadata.title,
      owner: entity.spec?.owner as string | undefined,
      specLocation: entity.metadata.annotations![ANNOTATION_PIPELINE_SPEC],
    }));
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
    };
    res.json(body);
  });

  return router;
}
