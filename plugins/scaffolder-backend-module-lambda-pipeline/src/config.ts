import { RootConfigService } from '@backstage/backend-plugin-api';
import path from 'node:path';

/** Config key of the directory that holds the local bare Git repositories. */
export const PUBLISH_LOCAL_DIRECTORY_KEY =
  'lambdaPipelines.publish.local.directory';

/** Config key of the Kubernetes cluster the deploy action applies to. */
export const KUBERNETES_CLUSTER_KEY = 'lambdaPipelines.kubernetes.cluster';

/** Author of the commits made by `lambda:publish:local` unless configured. */
export const DEFAULT_GIT_AUTHOR = {
  name: 'Lambda pipelines',
  email: 'scaffolder@lambda-pipelines.local',
};

/** `lambdaPipelines.publish.local`, with the directory made absolute. */
export interface PublishLocalConfig {
  /** Absolute directory of the bare repositories (`<repoName>.git`). */
  directory: string;
  /** Absolute directory of the read-only working checkouts. */
  checkoutsDirectory: string;
  authorName: string;
  authorEmail: string;
}

/** `lambdaPipelines.kubernetes.cluster`. */
export interface KubernetesClusterConfig {
  name: string;
  url?: string;
}

/**
 * Reads `lambdaPipelines.publish.local`; undefined if no directory is
 * configured. A relative directory resolves against the backend's working
 * directory (`packages/backend` when started with `yarn start`).
 */
export function readPublishLocalConfig(
  config: RootConfigService,
): PublishLocalConfig | undefined {
  const local = config.getOptionalConfig('lambdaPipelines.publish.local');
  const directory = local?.getOptionalString('directory');
  if (!local || !directory) {
    return undefined;
  }
  const absolute = path.resolve(process.cwd(), directory);
  return {
    directory: absolute,
    checkoutsDirectory: path.join(absolute, 'checkouts'),
    authorName:
      local.getOptionalString('authorName') ?? DEFAULT_GIT_AUTHOR.name,
    authorEmail:
      local.getOptionalString('authorEmail') ?? DEFAULT_GIT_AUTHOR.email,
  };
}

/** Like {@link readPublishLocalConfig}, but fails naming the missing key. */
export function requirePublishLocalConfig(
  config: RootConfigService,
): PublishLocalConfig {
  const local = readPublishLocalConfig(config);
  if (!local) {
    throw new Error(
      `No directory for local Git repositories is configured: set ${PUBLISH_LOCAL_DIRECTORY_KEY} in app-config.yaml ` +
        `(for example '../../.lp-repos', relative to the backend's working directory).`,
    );
  }
  return local;
}

/** Reads `lambdaPipelines.kubernetes.cluster`; undefined if not configured. */
export function readKubernetesClusterConfig(
  config: RootConfigService,
): KubernetesClusterConfig | undefined {
  const cluster = config.getOptionalConfig(KUBERNETES_CLUSTER_KEY);
  if (!cluster) {
    return undefined;
  }
  return {
    name: cluster.getString('name'),
    url: cluster.getOptionalString('url'),
  };
}
