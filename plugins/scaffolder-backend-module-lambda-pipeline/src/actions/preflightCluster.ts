import { RootConfigService } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import { MEMORY_QUANTITY } from '@internal/backstage-plugin-lambda-pipeline-common';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  KUBERNETES_CLUSTER_KEY,
  readKubernetesClusterConfig,
  readKubernetesDeployConfig,
} from '../config';
import { connectToCluster } from '../deploy/cluster';
import { runPreflight } from '../deploy/preflight';
import { readManifests, validateDeployInputs } from '../deploy/prepare';
import { examples } from './preflightCluster.examples';

export const PREFLIGHT_ACTION_ID = 'lambda:kubernetes:preflight';

/**
 * `lambda:kubernetes:preflight`: checks, before anything is published or
 * applied, that the configured cluster can take the pipeline: it answers,
 * the credentials may create what the deploy creates, its nodes have the
 * memory of the spec's budget, a default StorageClass exists, the local
 * registry answers and every custom resource kind is served or has its CRD
 * in the manifests. Fails listing every failed check with what to do.
 * Read-only, so it runs the same in a dry run.
 */
export function createPreflightAction(options: { config: RootConfigService }) {
  const { config } = options;
  return createTemplateAction({
    id: PREFLIGHT_ACTION_ID,
    description: `Checks that the cluster in ${KUBERNETES_CLUSTER_KEY} can take the pipeline (reachable, permissions, node memory vs the budget, default StorageClass, local registry, CRDs). Read-only; skipped when no cluster is configured.`,
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        manifestsPath: z =>
          z
            .string()
            .describe(
              'Workspace-relative directory of the manifests (a kustomize overlay or plain YAML)',
            ),
        namespace: z => z.string().describe('Namespace of the pipeline'),
        memoryBudget: z =>
          z
            .string()
            .describe(
              "The spec's memory budget (`spec.resources.memoryBudget`), e.g. `16Gi`",
            ),
      },
      output: {
        ready: z => z.boolean().describe('Every check passed'),
        reason: z =>
          z.string().optional().describe('Why the checks did not run'),
        checks: z =>
          z
            .array(
              z.object({
                id: z.string(),
                status: z.enum(['ok', 'failed', 'warning', 'skipped']),
                message: z.string(),
              }),
            )
            .optional()
            .describe('Every check with what it found'),
      },
    },
    async handler(ctx) {
      const { manifestsPath, memoryBudget } = ctx.input;
      const dir = validateDeployInputs(ctx.workspacePath, ctx.input);
      if (!MEMORY_QUANTITY.test(memoryBudget)) {
        throw new InputError(
          `memoryBudget '${memoryBudget}' must be a memory quantity such as '16Gi' or '12288Mi'.`,
        );
      }
      const cluster = readKubernetesClusterConfig(config);
      if (!cluster) {
        const reason = `no Kubernetes cluster is configured (set ${KUBERNETES_CLUSTER_KEY} in app-config), so there is nothing to check`;
        ctx.logger.info(`Skipping preflight: ${reason}.`);
        ctx.output('ready', false);
        ctx.output('reason', reason);
        return;
      }
      const { manifests, logger } = await readManifests(
        dir,
        manifestsPath,
        readKubernetesDeployConfig(config),
        ctx.logger,
        ctx.signal,
      );
      const connection = await connectToCluster(cluster);
      const checks = await runPreflight({
        client: connection.objects,
        clusterName: cluster.name,
        server: connection.server,
        objects: manifests.map(m => m.object),
        memoryBudget,
        registry: cluster.registry,
        budgetField: 'spec.resources.memoryBudget; form field "Memory budget"',
      });
      const label = {
        ok: 'ok',
        failed: 'FAILED',
        warning: 'WARNING',
        skipped: 'skipped',
      } as const;
      for (const check of checks) {
        const line = `${label[check.status]} ${check.id}: ${check.message}`;
        if (check.status === 'failed' || check.status === 'warning')
          logger.warn(line);
        else logger.info(line);
      }
      ctx.output('checks', checks);
      const failedChecks = checks.filter(c => c.status === 'failed');
      ctx.output('ready', failedChecks.length === 0);
      if (failedChecks.length > 0) {
        const list = failedChecks
          .map(c => `- ${c.id}: ${c.message}`)
          .join('\n');
        throw new InputError(
          `Cluster '${cluster.name}' is not ready for this pipeline (${failedChecks.length} of ${checks.length} checks failed):\n${list}`,
        );
      }
      const warnings = checks
        .filter(c => c.status === 'warning')
        .map(c => c.id);
      logger.info(
        warnings.length === 0
          ? `Cluster '${cluster.name}' is ready for this pipeline: all ${checks.length} checks passed.`
          : `Cluster '${cluster.name}' can take this pipeline: ${
              checks.length - warnings.length
            } of ${checks.length} checks passed, ` +
              `with warnings about ${warnings.join(', ')} (see above).`,
      );
    },
  });
}
