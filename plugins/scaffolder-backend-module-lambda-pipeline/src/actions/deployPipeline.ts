import {
  RootConfigService,
  resolveSafeChildPath,
} from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import { isDnsLabel } from '@internal/backstage-plugin-lambda-pipeline-common';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { KUBERNETES_CLUSTER_KEY, readKubernetesClusterConfig } from '../config';
import { examples } from './deployPipeline.examples';

export const DEPLOY_PIPELINE_ACTION_ID = 'lambda:kubernetes:deploy';

const DEPLOY_BY_HAND =
  'To deploy by hand: cd platform && ./scripts/up.sh (or scripts\\up.ps1 on Windows)';

/**
 * `lambda:kubernetes:deploy`: deploys the rendered manifests to the
 * configured cluster. Applying from Backstage is not available yet: without a
 * cluster the step is skipped with instructions, with one it fails saying so
 * (it never pretends to deploy).
 */
export function createDeployPipelineAction(options: {
  config: RootConfigService;
}) {
  const { config } = options;
  return createTemplateAction({
    id: DEPLOY_PIPELINE_ACTION_ID,
    description: `Deploys the pipeline's Kubernetes manifests to the cluster in ${KUBERNETES_CLUSTER_KEY}. Not available yet: skipped when no cluster is configured, fails with instructions when one is.`,
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        manifestsPath: z =>
          z
            .string()
            .describe(
              'Workspace-relative directory of the kustomize overlay, e.g. `platform/deploy/overlays/kind`',
            ),
        namespace: z =>
          z.string().describe('Kubernetes namespace of the pipeline'),
      },
      output: {
        deployed: z =>
          z.boolean().describe('Whether the manifests were applied'),
        reason: z =>
          z.string().optional().describe('Why they were not applied'),
      },
    },
    async handler(ctx) {
      const { manifestsPath, namespace } = ctx.input;
      if (!isDnsLabel(namespace)) {
        throw new InputError(
          `namespace '${namespace}' is not a valid Kubernetes namespace: use lowercase letters, digits and '-', start with a letter, at most 63 characters.`,
        );
      }
      try {
        resolveSafeChildPath(ctx.workspacePath, manifestsPath);
      } catch {
        throw new InputError(
          `manifestsPath '${manifestsPath}' must be a directory inside the task workspace (e.g. 'platform/deploy/overlays/kind').`,
        );
      }
      const dryRun = ctx.isDryRun ? ' (dry run)' : '';

      const cluster = readKubernetesClusterConfig(config);
      if (cluster) {
        throw new InputError(
          `Cannot deploy ${manifestsPath} to namespace ${namespace} on cluster '${cluster.name}'${dryRun}: ` +
            `applying manifests from Backstage is not available yet in this version. ${DEPLOY_BY_HAND}. ` +
            `Remove ${KUBERNETES_CLUSTER_KEY} from app-config to skip this step instead.`,
        );
      }
      const reason = `no Kubernetes cluster is configured (set ${KUBERNETES_CLUSTER_KEY} in app-config)`;
      ctx.logger.info(`Skipping deploy${dryRun}: ${reason}. ${DEPLOY_BY_HAND}`);
      ctx.output('deployed', false);
      ctx.output('reason', reason);
    },
  });
}
