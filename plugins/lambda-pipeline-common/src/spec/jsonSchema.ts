import { z } from 'zod';
import { pipelineSpecSchema } from './schema';

/**
 * JSON Schema (draft 2020-12) of the pipeline spec as a user writes it
 * (defaults optional). Editors use it for completion; the published copy is
 * `schema/lambda-pipeline.schema.json`. Cross-field rules are not expressible
 * in JSON Schema and are only enforced by `validatePipelineSpec`.
 */
export function pipelineSpecJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(pipelineSpecSchema, {
      io: 'input',
      unrepresentable: 'any',
    }),
    $id: 'https://lambda-pipelines.io/schemas/lambda-pipeline.v1alpha1.json',
    title: 'LambdaPipeline',
    description:
      'The pipeline spec of Lambda pipelines for Backstage: one document from which the platform repository, the DAG repository, the catalog entities and the monitoring derive.',
  };
}
