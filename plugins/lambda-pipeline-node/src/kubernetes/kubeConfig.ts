import type { KubeConfig } from '@kubernetes/client-node';

/**
 * `@kubernetes/client-node` 1.x is ESM-only. The backend runs as CommonJS, so
 * the library is loaded with a dynamic `import()` at call sites and only its
 * types are imported statically.
 */
export async function loadKubernetesClient(): Promise<
  typeof import('@kubernetes/client-node')
> {
  return import('@kubernetes/client-node');
}

/** Where a cluster's credentials come from: a kubeconfig file or inline YAML. */
export type KubeConfigSource =
  | { kubeconfigPath: string; context?: string }
  | { kubeconfigYaml: string; context?: string };

/** Builds a KubeConfig, failing with a message that says which source and context were wrong. */
export async function loadKubeConfig(
  source: KubeConfigSource,
): Promise<KubeConfig> {
  const k8s = await loadKubernetesClient();
  const kubeConfig = new k8s.KubeConfig();
  const from =
    'kubeconfigPath' in source ? source.kubeconfigPath : 'inline kubeconfig';
  try {
    if ('kubeconfigPath' in source) {
      kubeConfig.loadFromFile(source.kubeconfigPath);
    } else {
      kubeConfig.loadFromString(source.kubeconfigYaml);
    }
  } catch (error) {
    throw new Error(
      `Cannot read the kubeconfig from ${from}: ${(error as Error).message}`,
    );
  }
  if (source.context) {
    if (!kubeConfig.getContexts().some(c => c.name === source.context)) {
      throw new Error(
        `Kubernetes context '${source.context}' is not in ${from}; available: ${
          kubeConfig
            .getContexts()
            .map(c => c.name)
            .join(', ') || 'none'
        }`,
      );
    }
    kubeConfig.setCurrentContext(source.context);
  }
  if (!kubeConfig.getCurrentCluster()) {
    throw new Error(
      `The kubeconfig from ${from} has no current cluster; set current-context or pass a context`,
    );
  }
  return kubeConfig;
}

/**
 * A cluster as the product's settings describe it (the deploy target and each
 * monitored environment): a kubeconfig file and context, or an API server
 * URL with a bearer token.
 */
export type ClusterCredentials = {
  name: string;
  kubeconfigPath?: string;
  context?: string;
  url?: string;
  serviceAccountToken?: string;
  caFile?: string;
  skipTLSVerify?: boolean;
};

/** The KubeConfig of a cluster's settings. */
export async function kubeConfigForCluster(
  cluster: ClusterCredentials,
): Promise<KubeConfig> {
  if (cluster.kubeconfigPath) {
    return loadKubeConfig({
      kubeconfigPath: cluster.kubeconfigPath,
      context: cluster.context,
    });
  }
  if (!cluster.url) {
    throw new Error(
      `Cluster '${cluster.name}' has neither a kubeconfig path nor an API server URL`,
    );
  }
  const k8s = await loadKubernetesClient();
  const kubeConfig = new k8s.KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [
      {
        name: cluster.name,
        server: cluster.url,
        caFile: cluster.caFile,
        skipTLSVerify: cluster.skipTLSVerify ?? false,
      },
    ],
    users: [{ name: 'backstage', token: cluster.serviceAccountToken }],
    contexts: [
      { name: cluster.name, cluster: cluster.name, user: 'backstage' },
    ],
    currentContext: cluster.name,
  });
  return kubeConfig;
}
