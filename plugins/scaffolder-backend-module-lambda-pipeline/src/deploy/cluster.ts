import {
  createKubernetesObjectClient,
  KubernetesObjectClient,
  loadKubeConfig,
  loadKubernetesClient,
} from '@internal/backstage-plugin-lambda-pipeline-node';
import { KubernetesClusterConfig } from '../config';

/** A configured cluster, ready to talk to. */
export type ClusterConnection = {
  name: string;
  /** The API server URL (for messages; never credentials). */
  server: string;
  objects: KubernetesObjectClient;
};

/**
 * Builds the client of the configured cluster: from a kubeconfig file (and
 * context), or from an API server URL and a service account token.
 */
export async function connectToCluster(
  cluster: KubernetesClusterConfig,
): Promise<ClusterConnection> {
  let kubeConfig: Awaited<ReturnType<typeof loadKubeConfig>>;
  if (cluster.kubeconfigPath) {
    kubeConfig = await loadKubeConfig({
      kubeconfigPath: cluster.kubeconfigPath,
      context: cluster.context,
    });
  } else {
    const k8s = await loadKubernetesClient();
    kubeConfig = new k8s.KubeConfig();
    kubeConfig.loadFromOptions({
      clusters: [
        {
          name: cluster.name,
          server: cluster.url!,
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
  }
  return {
    name: cluster.name,
    server: kubeConfig.getCurrentCluster()?.server ?? cluster.url ?? '',
    objects: await createKubernetesObjectClient(kubeConfig),
  };
}
