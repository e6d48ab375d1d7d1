import {
  createKubernetesObjectClient,
  kubeConfigForCluster,
  KubernetesObjectClient,
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
  const kubeConfig = await kubeConfigForCluster(cluster);
  return {
    name: cluster.name,
    server: kubeConfig.getCurrentCluster()?.server ?? cluster.url ?? '',
    objects: await createKubernetesObjectClient(kubeConfig),
  };
}
