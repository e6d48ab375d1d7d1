import { LoggerService } from '@backstage/backend-plugin-api';
import { Entity } from '@backstage/catalog-model';
import { LocationSpec } from '@backstage/plugin-catalog-common';
import {
  CatalogProcessor,
  CatalogProcessorEmit,
  processingResult,
} from '@backstage/plugin-catalog-node';
import { ANNOTATION_PIPELINE_SPEC } from '@internal/backstage-plugin-lambda-pipeline-common';
import { PipelineSpecService } from '@internal/backstage-plugin-lambda-pipeline-node';

/**
 * Validates the pipeline spec of every entity annotated with
 * `lambda-pipelines.io/spec`. A missing or invalid spec shows up as a
 * processing error on the entity (in the catalog UI and the catalog's error
 * log), with one line per problem naming the field.
 */
export class LambdaPipelineSpecProcessor implements CatalogProcessor {
  private constructor(
    private readonly specs: PipelineSpecService,
    private readonly logger: LoggerService,
  ) {}

  static create(options: {
    specs: PipelineSpecService;
    logger: LoggerService;
  }) {
    return new LambdaPipelineSpecProcessor(options.specs, options.logger);
  }

  getProcessorName(): string {
    return 'LambdaPipelineSpecProcessor';
  }

  async postProcessEntity(
    entity: Entity,
    location: LocationSpec,
    emit: CatalogProcessorEmit,
  ): Promise<Entity> {
    if (!entity.metadata.annotations?.[ANNOTATION_PIPELINE_SPEC]) {
      return entity;
    }
    try {
      await this.specs.loadSpec(entity);
    } catch (error) {
      const message = `${entity.kind}:${
        entity.metadata.namespace ?? 'default'
      }/${entity.metadata.name}: ${(error as Error).message}`;
      this.logger.warn(`Invalid pipeline spec for ${message}`);
      emit(processingResult.generalError(location, message));
    }
    return entity;
  }
}
