import { RootConfigService } from '@backstage/backend-plugin-api';
import os from 'node:os';
import path from 'node:path';
import { InputError } from '@backstage/errors';

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

/** `lambdaPipelines.kubernetes.cluster`: where pipelines are deployed. */
export interface KubernetesClusterConfig {
  /** Name shown in logs, e.g. the kubeconfig context `kind-lambda`. */
  name: string;
  /** Credentials from a kubeconfig file (and one of its contexts)... */
  kubeconfigPath?: string;
  context?: string;
  /** ...or from the API server URL and a service account token. */
  url?: string;
  serviceAccountToken?: string;
  caFile?: string;
  skipTLSVerify?: boolean;
  /**
   * Host and port of the local image registry (e.g. `localhost:5001`); when
   * unset, the cluster's `kube-public/local-registry-hosting` ConfigMap says.
   */
  registry?: string;
}

/** `lambdaPipelines.kubernetes.deploy`: how the deploy action applies and waits. */
export interface KubernetesDeployConfig {
  /** Field manager of every server-side apply. */
  fieldManager: string;
  /** How long to wait for an object to become ready. */
  waitTimeoutSeconds: number;
  /** Per-kind overrides, e.g. `{ KafkaConnect: 1200 }` (its image is built first). */
  waitTimeoutSecondsByKind: Record<string, number>;
  /** How often progress is logged while waiting. */
  progressIntervalSeconds: number;
  /** The kustomize binary that builds overlays. */
  kustomizeCommand: string;
}

export const DEFAULT_DEPLOY_CONFIG: KubernetesDeployConfig = {
  fieldManager: 'lambda-pipelines',
  waitTimeoutSeconds: 900,
  waitTimeoutSecondsByKind: { KafkaConnect: 1800 },
  progressIntervalSeconds: 5,
  kustomizeCommand: 'kustomize',
};

/** `~/x` -> `<home>/x`, as a shell would (config values are not expanded). */
const expandHome = (p: string) => p.replace(/^~(?=$|\/)/, os.homedir());

/**
 * Reads `lambdaPipelines.kubernetes.cluster`; undefined if not configured.
 * Throws naming the key of anything incomplete or contradictory.
 */
export function readKubernetesClusterConfig(
  config: RootConfigService,
): KubernetesClusterConfig | undefined {
  const cluster = config.getOptionalConfig(KUBERNETES_CLUSTER_KEY);
  if (!cluster) {
    return undefined;
  }
  const key = (name: string) => `${KUBERNETES_CLUSTER_KEY}.${name}`;
  const result: KubernetesClusterConfig = {
    name: cluster.getString('name'),
    kubeconfigPath: cluster.getOptionalString('kubeconfigPath'),
    context: cluster.getOptionalString('context'),
    url: cluster.getOptionalString('url'),
    serviceAccountToken: cluster.getOptionalString('serviceAccountToken'),
    caFile: cluster.getOptionalString('caFile'),
    skipTLSVerify: cluster.getOptionalBoolean('skipTLSVerify'),
    registry: cluster.getOptionalString('registry'),
  };
  if (!result.kubeconfigPath && !result.url) {
    throw new InputError(
      `${KUBERNETES_CLUSTER_KEY} needs credentials: set ${key(
        'kubeconfigPath',
      )} (and optionally ${key('context')}), ` +
        `or ${key('url')} with ${key('serviceAccountToken')}.`,
    );
  }
  if (result.kubeconfigPath && (result.url || result.serviceAccountToken)) {
    throw new InputError(
      `${KUBERNETES_CLUSTER_KEY}: set either ${key('kubeconfigPath')} or ${key(
        'url',
      )} + ${key('serviceAccountToken')}, not both.`,
    );
  }
  if (result.url && !result.serviceAccountToken) {
    throw new InputError(
      `${key('serviceAccountToken')} is required with ${key(
        'url',
      )} (or use ${key('kubeconfigPath')}).`,
    );
  }
  if (result.url && !/^https?:\/\/[^/\s]+/.test(result.url)) {
    throw new InputError(
      `${key('url')} '${
        result.url
      }' is not a URL such as https://127.0.0.1:6443.`,
    );
  }
  if (result.registry && !/^[a-z0-9.-]+(:\d{1,5})?$/i.test(result.registry)) {
    throw new InputError(
      `${key('registry')} '${
        result.registry
      }' must be host[:port], e.g. localhost:5001.`,
    );
  }
  if (result.kubeconfigPath) {
    result.kubeconfigPath = path.resolve(
      process.cwd(),
      expandHome(result.kubeconfigPath),
    );
  }
  return result;
}

/** Reads `lambdaPipelines.kubernetes.deploy` and `.kustomizeCommand`, with defaults. */
export function readKubernetesDeployConfig(
  config: RootConfigService,
): KubernetesDeployConfig {
  const base = 'lambdaPipelines.kubernetes';
  const deploy = config.getOptionalConfig(`${base}.deploy`);
  const positive = (
    name: string,
    value: number | undefined,
    fallback: number,
  ) => {
    if (value === undefined) return fallback;
    if (!Number.isFinite(value) || value <= 0) {
      throw new InputError(
        `${base}.deploy.${name} must be a positive number of seconds; got ${value}.`,
      );
    }
    return value;
  };
  const byKind: Record<string, number> = {
    ...DEFAULT_DEPLOY_CONFIG.waitTimeoutSecondsByKind,
  };
  const byKindConfig = deploy?.getOptionalConfig('waitTimeoutSecondsByKind');
  for (const kind of byKindConfig?.keys() ?? []) {
    byKind[kind] = positive(
      `waitTimeoutSecondsByKind.${kind}`,
      byKindConfig!.getNumber(kind),
      0,
    );
  }
  const fieldManager =
    deploy?.getOptionalString('fieldManager') ??
    DEFAULT_DEPLOY_CONFIG.fieldManager;
  if (!/^[\x21-\x7e]{1,128}$/.test(fieldManager)) {
    throw new InputError(
      `${base}.deploy.fieldManager must be 1-128 printable characters without spaces; got '${fieldManager}'.`,
    );
  }
  return {
    fieldManager,
    waitTimeoutSeconds: positive(
      'waitTimeoutSeconds',
      deploy?.getOptionalNumber('waitTimeoutSeconds'),
      DEFAULT_DEPLOY_CONFIG.waitTimeoutSeconds,
    ),
    waitTimeoutSecondsByKind: byKind,
    progressIntervalSeconds: positive(
      'progressIntervalSeconds',
      deploy?.getOptionalNumber('progressIntervalSeconds'),
      DEFAULT_DEPLOY_CONFIG.progressIntervalSeconds,
    ),
    kustomizeCommand: expandHome(
      config.getOptionalString(`${base}.kustomizeCommand`) ??
        DEFAULT_DEPLOY_CONFIG.kustomizeCommand,
    ),
  };
}
