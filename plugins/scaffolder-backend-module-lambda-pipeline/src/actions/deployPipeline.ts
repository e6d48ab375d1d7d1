import { RootConfigService } from '@backstage/backend-plugin-api';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { JsonObject } from '@backstage/types';
import {
  KUBERNETES_CLUSTER_KEY,
  readKubernetesClusterConfig,
  readKubernetesDeployConfig,
} from '../config';
import { AppliedObject } from '../deploy/applyObject';
import { connectToCluster } from '../deploy/cluster';
import { deployManifests } from '../deploy/deployManifests';
import { readManifests, validateDeployInputs } from '../deploy/prepare';
import { examples } from './deployPipeline.examples';

export const DEPLOY_PIPELINE_ACTION_ID = 'lambda:kubernetes:deploy';

const DEPLOY_BY_HAND =
  'To deploy by hand: cd platform && ./scripts/up.sh (or scripts\\up.ps1 on Windows)';

/**
 * `lambda:kubernetes:deploy`: applies the rendered manifests to the cluster
 * configured in app-config (never one named in the form) with server-side
 * apply, in dependency order, waits until everything is ready, and rolls back
 * what it created when something fails. A scaffolder dry run is a
 * server-side dry run: it reports what would be created or changed and
 * persists nothing. Without a configured cluster the step is skipped with
 * instructions.
 */
export function createDeployPipelineAction(options: {
  config: RootConfigService;
}) {
  const { config } = options;
  return createTemplateAction({
    id: DEPLOY_PIPELINE_ACTION_ID,
    description:
      `Applies the pipeline's Kubernetes manifests (a kustomize overlay or a directory of YAML) to the cluster in ${KUBERNETES_CLUSTER_KEY} ` +
      'with server-side apply, in order (CRDs, namespaces, config and secrets, operators, custom resources, workloads), waits for readiness, ' +
      'and rolls back what it created on failure. Idempotent; a dry run is a server-side dry run. Skipped when no cluster is configured.',
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        manifestsPath: z =>
          z
            .string()
            .describe(
              'Workspace-relative directory of the manifests: a kustomize overlay (e.g. `platform/deploy/overlays/kind`) or plain YAML files',
            ),
        namespace: z =>
          z
            .string()
            .describe('Namespace of the namespaced objects that name none'),
        wait: z =>
          z
            .boolean()
            .optional()
            .describe('Wait until every object is ready (default true)'),
        timeoutSeconds: z =>
          z
            .number()
            .int()
            .positive()
            .max(24 * 3600)
            .optional()
            .describe(
              'How long to wait for each object; default from lambdaPipelines.kubernetes.deploy.waitTimeoutSeconds (900, KafkaConnect 1800)',
            ),
      },
      output: {
        deployed: z =>
          z
            .boolean()
            .describe(
              'Whether the manifests were applied (false in a dry run or when skipped)',
            ),
        reason: z =>
          z
            .string()
            .optional()
            .describe('Why they were not applied, or a summary'),
        counts: z =>
          z
            .object({
              created: z.number(),
              configured: z.number(),
              unchanged: z.number(),
            })
            .optional()
            .describe(
              'How many objects were (or, in a dry run, would be) created, changed or left unchanged',
            ),
        objects: z =>
          z
            .array(
              z.object({
                ref: z.string(),
                action: z.enum(['created', 'configured', 'unchanged']),
              }),
            )
            .optional()
            .describe('Every object and what happened to it'),
      },
    },
    async handler(ctx) {
      const { manifestsPath, namespace } = ctx.input;
      const dir = validateDeployInputs(ctx.workspacePath, ctx.input);
      const dryRun = ctx.isDryRun ?? false;
      const cluster = readKubernetesClusterConfig(config);
      if (!cluster) {
        const reason = `no Kubernetes cluster is configured (set ${KUBERNETES_CLUSTER_KEY} in app-config)`;
        ctx.logger.info(
          `Skipping deploy${
            dryRun ? ' (dry run)' : ''
          }: ${reason}. ${DEPLOY_BY_HAND}`,
        );
        ctx.output('deployed', false);
        ctx.output('reason', reason);
        return;
      }
      const deployConfig = readKubernetesDeployConfig(config);
      const { manifests, redactor, logger } = await readManifests(
        dir,
        manifestsPath,
        deployConfig,
        ctx.logger,
        ctx.signal,
      );
      const connection = await connectToCluster(cluster);
      const mode = dryRun
        ? 'Dry run (server-side, nothing is persisted): '
        : '';
      const secrets =
        redactor.size > 0 ? '; Secret values are kept out of this log' : '';
      logger.info(
        `${mode}deploying ${manifests.length} objects from ${manifestsPath} to cluster '${cluster.name}' ` +
          `(${connection.server}) as field manager '${deployConfig.fieldManager}'${secrets}`,
      );
      try {
        const result = await deployManifests({
          client: connection.objects,
          manifests,
          defaultNamespace: namespace,
          runId: ctx.task.id,
          dryRun,
          wait: ctx.input.wait ?? true,
          timeoutSeconds: ctx.input.timeoutSeconds,
          config: deployConfig,
          logger,
          signal: ctx.signal,
          // Checkpoint values are stored as JSON (and hold no Secret data).
          checkpoint: async (key, fn) =>
            (await ctx.checkpoint({
              key,
              fn: async () =>
                JSON.parse(JSON.stringify(await fn())) as JsonObject,
            })) as unknown as AppliedObject,
        });
        const { created, configured, unchanged } = result.counts;
        ctx.output('deployed', !dryRun);
        ctx.output(
          'reason',
          created + configured === 0
            ? `No changes: all ${
                result.objects.length
              } objects were already deployed${dryRun ? ' (dry run)' : ''}.`
            : `${dryRun ? 'Dry run: would create' : 'Created'} ${created}, ${
                dryRun ? 'would change' : 'changed'
              } ${configured}, ` +
                `left ${unchanged} unchanged on cluster '${cluster.name}'.`,
        );
        ctx.output('counts', result.counts);
        ctx.output(
          'objects',
          result.objects.map(o => ({
            ref: `${o.ref.kind} ${
              o.ref.namespace ? `${o.ref.namespace}/` : ''
            }${o.ref.name}`,
            action: o.action,
          })),
        );
      } catch (error) {
        throw redactor.redactError(error);
      }
    },
  });
}
