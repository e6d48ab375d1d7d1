import { loadKubeConfig, loadKubernetesClient } from './kubeConfig';

const kubeconfigYaml = `
apiVersion: v1
kind: Config
clusters:
  - name: kind-lambda
    cluster: { server: 'https://127.0.0.1:6443', insecure-skip-tls-verify: true }
  - name: other
    cluster: { server: 'https://10.0.0.1:6443' }
users:
  - name: admin
    user: { token: not-a-real-token }
contexts:
  - name: kind-lambda
    context: { cluster: kind-lambda, user: admin }
  - name: other
    context: { cluster: other, user: admin }
current-context: kind-lambda
`;

describe('the ESM-only Kubernetes client under Jest', () => {
  it('loads and builds typed API clients', async () => {
    const k8s = await loadKubernetesClient();
    const kubeConfig = await loadKubeConfig({ kubeconfigYaml });
    expect(kubeConfig.getCurrentCluster()?.server).toBe(
      'https://127.0.0.1:6443',
    );
    const core = kubeConfig.makeApiClient(k8s.CoreV1Api);
    expect(core).toBeInstanceOf(k8s.CoreV1Api);
  });

  it('switches to a named context', async () => {
    const kubeConfig = await loadKubeConfig({
      kubeconfigYaml,
      context: 'other',
    });
    expect(kubeConfig.getCurrentCluster()?.server).toBe(
      'https://10.0.0.1:6443',
    );
  });

  it('names a missing context and the ones that exist', async () => {
    await expect(
      loadKubeConfig({ kubeconfigYaml, context: 'prod' }),
    ).rejects.toThrow(
      "Kubernetes context 'prod' is not in inline kubeconfig; available: kind-lambda, other",
    );
  });

  it('says which file could not be read', async () => {
    await expect(
      loadKubeConfig({ kubeconfigPath: '/nonexistent/kubeconfig' }),
    ).rejects.toThrow(
      /^Cannot read the kubeconfig from \/nonexistent\/kubeconfig: /,
    );
  });
});
