import {
  coreServices,
  createServiceFactory,
  createServiceRef,
  UrlReaderService,
} from '@backstage/backend-plugin-api';
import { Entity, getEntitySourceLocation } from '@backstage/catalog-model';
import { InputError, NotFoundError } from '@backstage/errors';
import {
  ANNOTATION_PIPELINE_SPEC,
  LambdaPipeline,
  parsePipelineSpec,
} from '@internal/backstage-plugin-lambda-pipeline-common';
import fs from 'fs/promises';
import path from 'path';
import { fileURLToPath } from 'url';
import yaml from 'yaml';

/** Finds and validates the pipeline spec an entity points at. */
export interface PipelineSpecService {
  /** Where the spec of `entity` lives: an absolute file path or URL. */
  locateSpec(entity: Entity): string;
  /**
   * Reads and validates the spec. Throws `NotFoundError` when the entity has no
   * spec annotation or the file is missing, `InputError` when it is invalid.
   */
  loadSpec(entity: Entity): Promise<LambdaPipeline>;
}

/**
 * Default implementation: the annotation holds a path relative to the
 * entity's source location (`./pipeline.yaml`) or an absolute URL. Local
 * `file` locations are read from disk; everything else goes through the
 * UrlReader, so any configured SCM integration works.
 */
export class DefaultPipelineSpecService implements PipelineSpecService {
  private constructor(private readonly urlReader: UrlReaderService) {}

  static create(options: { urlReader: UrlReaderService }) {
    return new DefaultPipelineSpecService(options.urlReader);
  }

  locateSpec(entity: Entity): string {
    const ref = entity.metadata.annotations?.[ANNOTATION_PIPELINE_SPEC];
    if (!ref) {
      throw new NotFoundError(
        `Entity ${entity.kind}:${entity.metadata.namespace ?? 'default'}/${
          entity.metadata.name
        } has no '${ANNOTATION_PIPELINE_SPEC}' annotation`,
      );
    }
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(ref)) {
      return ref;
    }
    const source = getEntitySourceLocation(entity);
    if (source.type === 'file') {
      const base = source.target.startsWith('file:')
        ? fileURLToPath(source.target)
        : source.target;
      return path.resolve(path.dirname(base), ref);
    }
    return new URL(ref, source.target).toString();
  }

  async loadSpec(entity: Entity): Promise<LambdaPipeline> {
    const location = this.locateSpec(entity);
    const text = await this.read(location);
    let document: unknown;
    try {
      document = yaml.parse(text);
    } catch (error) {
      throw new InputError(
        `Pipeline spec at ${location} is not valid YAML: ${
          (error as Error).message
        }`,
      );
    }
    try {
      return parsePipelineSpec(document);
    } catch (error) {
      throw new InputError(
        `Pipeline spec at ${location}: ${(error as Error).message}`,
      );
    }
  }

  private async read(location: string): Promise<string> {
    if (path.isAbsolute(location)) {
      try {
        return await fs.readFile(location, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
          throw new NotFoundError(`Pipeline spec not found at ${location}`);
        }
        throw error;
      }
    }
    const response = await this.urlReader.readUrl(location);
    return (await response.buffer()).toString('utf8');
  }
}

/** Replaceable service that loads pipeline specs; shared by our backend packages. */
export const pipelineSpecServiceRef = createServiceRef<PipelineSpecService>({
  id: 'lambda-pipeline.spec',
  scope: 'plugin',
  defaultFactory: async service =>
    createServiceFactory({
      service,
      deps: { urlReader: coreServices.urlReader },
      factory: ({ urlReader }) =>
        DefaultPipelineSpecService.create({ urlReader }),
    }),
});
