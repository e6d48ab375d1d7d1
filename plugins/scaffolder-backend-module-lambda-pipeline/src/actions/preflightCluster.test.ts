import { mockServices } from '@backstage/backend-test-utils';
import { InputError } from '@backstage/errors';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import fs from 'fs';
import net from 'net';
import os from 'os';
import path from 'path';
import {
  recordingLogger,
  startTestCluster,
  TestCluster,
  toYaml,
  uniqueSuffix,
  writeWorkspace,
} from '../__testUtils__/cluster';
import { KubeObject } from '@internal/backstage-plugin-lambda-pipeline-node';
import { startPipelineRenderBackend } from '../__testUtils__/render';
import { FORM } from '../template/formVariants';
import { createPreflightAction } from './preflightCluster';

jest.setTimeout(20 * 60_000);

async function runPreflight(
  config: Record<string, unknown>,
  input: { manifestsPath: string; namespace?: string; memoryBudget: string },
  workspacePath: string,
) {
  const logger = recordingLogger();
  const ctx = createMockActionContext({
    input: { namespace: 'payments', ...input },
    workspacePath,
    logger: logger as any,
  });
  let error: Error | undefined;
  try {
    await createPreflightAction({
      config: mockServices.rootConfig({ data: config as any }),
    }).handler(ctx);
  } catch (e) {
    error = e as Error;
  }
  return {
    error,
    lines: logger.lines,
    outputs: Object.fromEntries((ctx.output as jest.Mock).mock.calls),
  };
}

describe('lambda:kubernetes:preflight', () => {
  let cluster: TestCluster;
  let workspace: string;
  const overlay = 'platform/deploy/overlays/kind';

  beforeAll(async () => {
    cluster = await startTestCluster();
    const renderer = await startPipelineRenderBackend();
    try {
      const result = await renderer.render({
        ...FORM,
        tables: [FORM.tables[0]],
      });
      workspace = writeWorkspace(
        result.files.filter(f => f.path.startsWith('platform/')),
      );
    } finally {
      await renderer.stop();
    }
  });

  it('passes on a cluster that can take the pipeline, saying what it found', async () => {
    const run = await runPreflight(
      cluster.config(),
      { manifestsPath: overlay, memoryBudget: '16Gi' },
      workspace,
    );
    expect(run.error).toBeUndefined();
    expect(run.outputs.ready).toBe(true);
    expect(run.outputs.checks.map((c: any) => [c.id, c.status])).toEqual([
      ['cluster', 'ok'],
      ['permissions', 'ok'],
      ['memory', 'ok'],
      ['storage-class', 'ok'],
      ['registry', 'ok'],
      ['crds', 'ok'],
      // The stack's kwok plays the operators at the API level; no operator Deployment runs.
      ['operators', 'warning'],
    ]);
    const text = run.lines.join('\n');
    expect(text).toContain(
      "ok cluster: cluster 'lp-stack' at https://127.0.0.1:",
    );
    expect(text).toContain('(Kubernetes v1.36.5)');
    expect(text).toContain(
      'ok memory: 20.0 GiB allocatable (lambda-control-plane: 20.0 GiB) covers the budget of 16Gi',
    );
    expect(text).toContain("ok storage-class: default StorageClass 'standard'");
    expect(text).toMatch(
      /ok registry: local registry localhost:\d+ \(from ConfigMap kube-public\/local-registry-hosting\) answers \(registry\/2\.0\)/,
    );
    expect(text).toContain(
      'ok crds: present: Kafka, KafkaConnect, KafkaConnector, KafkaNodePool, KafkaTopic, PodMonitor, PrometheusRule, SparkApplication',
    );
    expect(text).toContain(
      'warn: WARNING operators: no running Strimzi (for kafka.strimzi.io), Spark operator (for sparkoperator.k8s.io), Prometheus operator (for monitoring.coreos.com) found: ' +
        'their resources will not become ready and the deploy will wait until it times out.',
    );
    expect(run.lines[run.lines.length - 1]).toBe(
      "info: Cluster 'lp-stack' can take this pipeline: 6 of 7 checks passed, with warnings about operators (see above).",
    );
  });

  it('fails when the budget is larger than the node, naming both and what to do', async () => {
    const run = await runPreflight(
      cluster.config(),
      { manifestsPath: overlay, memoryBudget: '64Gi' },
      workspace,
    );
    expect(run.error).toBeInstanceOf(InputError);
    expect(run.error?.message).toBe(
      "Cluster 'lp-stack' is not ready for this pipeline (1 of 7 checks failed):\n" +
        "- memory: the cluster's nodes offer 20.0 GiB of allocatable memory (lambda-control-plane: 20.0 GiB), less than the pipeline's memory budget of 64Gi " +
        '(spec.resources.memoryBudget; form field "Memory budget"), so its pods would not all fit. Give the kind node more memory (Docker Desktop: Settings > Resources > ' +
        'Memory, or .wslconfig on WSL 2) or lower the budget to at most 20.0 GiB.',
    );
    expect(run.outputs.ready).toBe(false);
  });

  it('fails clearly against an unreachable cluster, without checking the rest', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lp-kubeconfig-'));
    const kubeconfig = path.join(dir, 'config');
    fs.writeFileSync(
      kubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [
          {
            name: 'gone',
            cluster: {
              server: 'https://127.0.0.1:1',
              'insecure-skip-tls-verify': true,
            },
          },
        ],
        users: [{ name: 'u', user: { token: 'not-a-secret' } }],
        contexts: [{ name: 'gone', context: { cluster: 'gone', user: 'u' } }],
        'current-context': 'gone',
      }),
    );
    const run = await runPreflight(
      cluster.config(
        {},
        { name: 'kind-gone', kubeconfigPath: kubeconfig, context: 'gone' },
      ),
      { manifestsPath: overlay, memoryBudget: '16Gi' },
      workspace,
    );
    expect(run.error?.message).toMatch(
      /^Cluster 'kind-gone' is not ready for this pipeline \(1 of 7 checks failed\):\n- cluster: cannot reach cluster 'kind-gone' at https:\/\/127\.0\.0\.1:1: .*ECONNREFUSED.*\. Start the cluster \(kind get clusters; the platform repo's scripts\/up\.sh creates it\) or point lambdaPipelines\.kubernetes\.cluster at a running one\.$/,
    );
    expect(
      run.outputs.checks
        .filter((c: any) => c.status === 'skipped')
        .map((c: any) => c.id),
    ).toEqual([
      'permissions',
      'memory',
      'storage-class',
      'registry',
      'crds',
      'operators',
    ]);
  });

  it('names a registry that does not answer and kinds without a CRD', async () => {
    // A port nothing listens on.
    const server = net.createServer();
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise(resolve => server.close(resolve));
    const ws = writeWorkspace([
      {
        path: 'm/all.yaml',
        content: toYaml([
          { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x' } },
          {
            apiVersion: 'example.com/v1',
            kind: 'Widget',
            metadata: { name: 'w', namespace: 'x' },
          },
        ]),
      },
    ]);
    const run = await runPreflight(
      cluster.config({}, { registry: `127.0.0.1:${port}` }),
      { manifestsPath: 'm', memoryBudget: '8Gi' },
      ws,
    );
    const failed = run.outputs.checks.filter((c: any) => c.status === 'failed');
    expect(failed.map((c: any) => c.id)).toEqual(['registry', 'crds']);
    expect(failed[0].message).toMatch(
      new RegExp(
        `^the local registry 127\\.0\\.0\\.1:${port} \\(from lambdaPipelines\\.kubernetes\\.cluster\\.registry\\) does not answer \\(fetch failed: ECONNREFUSED\\): start it`,
      ),
    );
    expect(failed[1].message).toBe(
      "the cluster does not serve Widget (example.com/v1) and the manifests carry no CRD for it: install its operator first (the platform repo's scripts/up.sh does) or add its CRD to the manifests.",
    );
  });

  it('finds running operators by their image', async () => {
    const ns = `operators-${uniqueSuffix()}`;
    const operator = (name: string, image: string): KubeObject => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: ns },
      spec: {
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name } },
          spec: { containers: [{ name, image }] },
        },
      },
    });
    await cluster.client.apply(
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
      { fieldManager: 'test' },
    );
    try {
      for (const o of [
        operator('strimzi-cluster-operator', 'quay.io/strimzi/operator:1.2.0'),
        operator(
          'spark-operator-controller',
          'ghcr.io/kubeflow/spark-operator/controller:2.2.1',
        ),
        operator(
          'monitoring-operator',
          'quay.io/prometheus-operator/prometheus-operator:v0.93.0',
        ),
      ]) {
        await cluster.client.apply(o, { fieldManager: 'test' });
      }
      let run: Awaited<ReturnType<typeof runPreflight>> | undefined;
      for (let i = 0; i < 120; i++) {
        run = await runPreflight(
          cluster.config(),
          { manifestsPath: overlay, memoryBudget: '16Gi' },
          workspace,
        );
        if (
          run.outputs.checks.find((c: any) => c.id === 'operators').status ===
          'ok'
        )
          break;
        await new Promise(r => setTimeout(r, 500));
      }
      expect(
        run!.outputs.checks.find((c: any) => c.id === 'operators'),
      ).toEqual({
        id: 'operators',
        status: 'ok',
        message: `running: Strimzi (${ns}/strimzi-cluster-operator), Spark operator (${ns}/spark-operator-controller), Prometheus operator (${ns}/monitoring-operator)`,
      });
      expect(run!.lines[run!.lines.length - 1]).toBe(
        "info: Cluster 'lp-stack' is ready for this pipeline: all 7 checks passed.",
      );
    } finally {
      await cluster.client.delete({
        apiVersion: 'v1',
        kind: 'Namespace',
        name: ns,
      });
    }
  });

  it('is skipped plainly without a cluster, and validates its inputs', async () => {
    const run = await runPreflight(
      {},
      { manifestsPath: overlay, memoryBudget: '16Gi' },
      workspace,
    );
    expect(run.error).toBeUndefined();
    expect(run.lines).toEqual([
      'info: Skipping preflight: no Kubernetes cluster is configured (set lambdaPipelines.kubernetes.cluster in app-config), so there is nothing to check.',
    ]);
    expect(
      (
        await runPreflight(
          {},
          { manifestsPath: overlay, memoryBudget: '16GB' },
          workspace,
        )
      ).error?.message,
    ).toBe(
      "memoryBudget '16GB' must be a memory quantity such as '16Gi' or '12288Mi'.",
    );
  });
});
