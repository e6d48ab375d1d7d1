import { InputError } from '@backstage/errors';
import {
  PipelineFormValues,
  formFieldOf,
  describePhase,
  formatMiB,
  planPipeline,
  specFromForm,
  validatePipelineSpec,
} from '@internal/backstage-plugin-lambda-pipeline-common';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';
import { examples } from './planPipeline.examples';

export interface PlanPipelineOptions {
  /**
   * Absolute directory of the local bare Git repositories
   * (`lambdaPipelines.publish.local.directory`); the kind config mounts it so
   * git-sync can pull a locally published DAG repository.
   */
  localRepoDirectory?: string;
}

export const PLAN_PIPELINE_ACTION_ID = 'lambda:pipeline:plan';

/**
 * `lambda:pipeline:plan`: turns the "Create pipeline" form into a validated
 * pipeline spec and computes its plan — partitions and executors from the
 * target rate, a memory table of every container against the budget, and
 * every topic and table name — for the skeletons to render from. No side
 * effects: it runs the same in a dry run.
 */
export function createPlanPipelineAction(options: PlanPipelineOptions = {}) {
  return createTemplateAction({
    id: PLAN_PIPELINE_ACTION_ID,
    description:
      'Builds and validates the pipeline spec from the "Create pipeline" form and plans its sizing and names. Fails with one line per problem, naming the spec field and the form field.',
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        values: z =>
          z
            .record(z.string(), z.unknown())
            .describe('The form values (`${{ parameters }}`)'),
      },
      output: {
        spec: z =>
          z
            .record(z.string(), z.unknown())
            .describe('The validated pipeline spec with defaults'),
        plan: z =>
          z
            .record(z.string(), z.unknown())
            .describe(
              'Namespace, datasets, topics and sizing (memory table included)',
            ),
        name: z => z.string().describe('Pipeline name'),
        specYaml: z =>
          z
            .string()
            .describe(
              'The spec as YAML, for the pipeline.yaml of the platform repo',
            ),
        localRepoDirectory: z =>
          z
            .string()
            .describe(
              'Absolute directory of local Git repositories (empty when not configured)',
            ),
        summary: z =>
          z.string().describe('One paragraph for people: sizes and memory'),
      },
    },
    async handler(ctx) {
      const spec = specFromForm(
        ctx.input.values as unknown as PipelineFormValues,
      );
      const result = validatePipelineSpec(spec);
      if (!result.valid) {
        const lines = result.problems.map(problem => {
          const field = formFieldOf(problem.path);
          return `${problem.path}${field ? ` (form field '${field}')` : ''}: ${
            problem.message
          }`;
        });
        ctx.logger.error(
          `The pipeline cannot be planned:\n${lines.join('\n')}`,
        );
        throw new InputError(`Invalid pipeline:\n${lines.join('\n')}`);
      }
      const plan = planPipeline(result.spec);
      const { memory } = plan.sizing;
      const summary =
        `Pipeline ${result.spec.metadata.name}: ${plan.datasets.length} source table(s), ` +
        `${plan.sizing.partitions} partitions per CDC topic for ` +
        `${result.spec.spec.throughput.targetEventsPerSecond.toLocaleString(
          'en-US',
        )} events/s, ` +
        `${plan.sizing.speedExecutors} speed executor(s); memory ${formatMiB(
          memory.peakLimitMiB,
        )} ` +
        `of ${formatMiB(memory.budgetMiB)} (${formatMiB(
          memory.steadyLimitMiB,
        )} steady + ` +
        `${formatMiB(
          memory.burstLimitMiB,
        )} during the largest Airflow run; ${formatMiB(
          memory.headroomMiB,
        )} free).`;
      ctx.logger.info(`${summary}${ctx.isDryRun ? ' (dry run)' : ''}`);
      for (const component of memory.components) {
        ctx.logger.info(
          `  ${component.title}: ${component.replicas} x ${formatMiB(
            component.limitMiB,
          )} limit` +
            `${
              component.phase === 'steady'
                ? ''
                : ` (${describePhase(component)})`
            }`,
        );
      }
      ctx.output('spec', result.spec);
      ctx.output('plan', plan as unknown as Record<string, unknown>);
      ctx.output('name', result.spec.metadata.name);
      ctx.output('specYaml', yaml.stringify(result.spec, { lineWidth: 0 }));
      ctx.output('localRepoDirectory', options.localRepoDirectory ?? '');
      ctx.output('summary', summary);
    },
  });
}
