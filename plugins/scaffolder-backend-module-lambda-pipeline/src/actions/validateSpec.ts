import { InputError } from '@backstage/errors';
import {
  formatMiB,
  formatSpecProblems,
  pipelineSizing,
  validatePipelineSpec,
} from '@internal/backstage-plugin-lambda-pipeline-common';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { examples } from './validateSpec.examples';

export const VALIDATE_SPEC_ACTION_ID = 'lambda:spec:validate';

/**
 * `lambda:spec:validate`: checks a pipeline spec, fills in its defaults and
 * reports the sizing it implies. It has no side effects, so it runs the same
 * way in a dry run; a template can call it before it renders anything.
 */
export function createValidateSpecAction() {
  return createTemplateAction({
    id: VALIDATE_SPEC_ACTION_ID,
    description:
      'Validates a Lambda pipeline spec and fills in its defaults. Fails with one line per problem, each naming the field and what to do.',
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        spec: z =>
          z
            .record(z.string(), z.unknown())
            .describe(
              'The pipeline spec (LambdaPipeline), as built from the form',
            ),
      },
      output: {
        spec: z =>
          z
            .record(z.string(), z.unknown())
            .describe('The validated spec with defaults filled in'),
        name: z => z.string().describe('Pipeline name'),
        partitions: z => z.number().describe('Partitions per CDC topic'),
        speedExecutors: z =>
          z.number().describe('Spark executors of the speed job'),
        memoryBudgetMiB: z => z.number().describe('Memory budget in MiB'),
        memoryPeakMiB: z =>
          z
            .number()
            .describe(
              'Sum of all memory limits at the peak (steady + the largest Airflow run or the deploy), in MiB',
            ),
      },
    },
    async handler(ctx) {
      const result = validatePipelineSpec(ctx.input.spec);
      if (!result.valid) {
        const report = formatSpecProblems(result.problems);
        ctx.logger.error(
          `The pipeline spec has ${result.problems.length} problem(s):\n${report}`,
        );
        throw new InputError(`Invalid pipeline spec:\n${report}`);
      }
      const { spec } = result;
      const sizing = pipelineSizing(spec);
      ctx.logger.info(
        `Pipeline '${spec.metadata.name}' is valid${
          ctx.isDryRun ? ' (dry run)' : ''
        }: ` +
          `${spec.spec.source.postgres.tables.length} source table(s), ` +
          `${sizing.partitions} partitions per CDC topic, ${sizing.speedExecutors} speed executor(s), ` +
          `memory ${formatMiB(sizing.memory.peakLimitMiB)} of ${formatMiB(
            sizing.memory.budgetMiB,
          )}`,
      );
      ctx.output('spec', spec);
      ctx.output('name', spec.metadata.name);
      ctx.output('partitions', sizing.partitions);
      ctx.output('speedExecutors', sizing.speedExecutors);
      ctx.output('memoryBudgetMiB', sizing.memory.budgetMiB);
      ctx.output('memoryPeakMiB', sizing.memory.peakLimitMiB);
    },
  });
}
