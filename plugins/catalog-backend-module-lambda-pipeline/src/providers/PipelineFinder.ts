import { AuthService, LoggerService } from '@backstage/backend-plugin-api';
import {
  ANNOTATION_ORIGIN_LOCATION,
  Entity,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { CATALOG_FILTER_EXISTS } from '@backstage/catalog-client';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  ANNOTATION_PIPELINE_SPEC,
  LambdaPipeline,
} from '@internal/backstage-plugin-lambda-pipeline-common';
import { PipelineSpecService } from '@internal/backstage-plugin-lambda-pipeline-node';
import path from 'node:path';
import { PipelineSource } from '../entities/datasets';

/** A spec location as an entity location annotation value. */
export function specLocation(located: string): string {
  return path.isAbsolute(located) ? `file:${located}` : `url:${located}`;
}

/**
 * Finds the pipelines in the catalog (entities annotated with
 * `lambda-pipelines.io/spec`) and loads their specs. A spec that cannot be
 * read this time is replaced by its last good version, so a passing network
 * problem does not make a pipeline's datasets vanish and come back.
 */
export class PipelineFinder {
  private readonly lastGood = new Map<string, LambdaPipeline>();

  constructor(
    private readonly deps: {
      catalog: CatalogService;
      auth: AuthService;
      specs: PipelineSpecService;
      logger: LoggerService;
    },
  ) {}

  /** Throws when the catalog cannot be asked (then nothing should change). */
  async find(): Promise<PipelineSource[]> {
    const { catalog, auth, specs, logger } = this.deps;
    const { items } = await catalog.getEntities(
      {
        filter: {
          [`metadata.annotations.${ANNOTATION_PIPELINE_SPEC}`]:
            CATALOG_FILTER_EXISTS,
        },
        fields: ['apiVersion', 'kind', 'metadata'],
      },
      { credentials: await auth.getOwnServiceCredentials() },
    );
    // One spec file can be annotated on several entities (the System and
    // the Component of a pipeline): read it once.
    const byLocation = new Map<string, Entity[]>();
    for (const entity of items) {
      let located: string;
      try {
        located = specs.locateSpec(entity);
      } catch (error) {
        logger.warn(
          `Pipeline datasets: cannot locate the spec of ${stringifyEntityRef(
            entity,
          )}: ${(error as Error).message}`,
        );
        continue;
      }
      byLocation.set(located, [...(byLocation.get(located) ?? []), entity]);
    }
    const seen = new Set<string>();
    const found: PipelineSource[] = [];
    for (const located of [...byLocation.keys()].sort()) {
      // Any one of them: they all point at the same file.
      const entity = byLocation
        .get(located)!
        .sort((a, b) =>
          stringifyEntityRef(a).localeCompare(stringifyEntityRef(b)),
        )[0];
      let spec: LambdaPipeline | undefined;
      try {
        spec = await specs.loadSpec(entity);
        this.lastGood.set(located, spec);
      } catch (error) {
        spec = this.lastGood.get(located);
        logger.warn(
          `Pipeline datasets: cannot read the spec of ${stringifyEntityRef(
            entity,
          )} at ${located}: ${(error as Error).message}${
            spec
              ? '; keeping the datasets of its last good version'
              : '; its datasets are not listed until it can be read'
          }`,
        );
      }
      if (!spec) continue;
      if (seen.has(spec.metadata.name)) {
        logger.warn(
          `Pipeline datasets: ${located} names pipeline '${spec.metadata.name}', which another spec already names; its datasets are skipped (pipeline names must be unique).`,
        );
        continue;
      }
      seen.add(spec.metadata.name);
      const location = specLocation(located);
      found.push({
        spec,
        location,
        originLocation:
          entity.metadata.annotations?.[ANNOTATION_ORIGIN_LOCATION] ?? location,
      });
    }
    // Forget specs whose entities are gone.
    for (const located of this.lastGood.keys()) {
      if (!byLocation.has(located)) this.lastGood.delete(located);
    }
    return found;
  }
}
