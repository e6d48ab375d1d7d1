import { InputError } from '@backstage/errors';
import {
  KubeObject,
  formatRef,
  refOf,
} from '@internal/backstage-plugin-lambda-pipeline-node';
import fs from 'fs';
import path from 'path';
import { runDeployAction } from '../__testUtils__/deployRun';
import {
  startTestCluster,
  TestCluster,
  toYaml,
  uniqueSuffix,
  writeWorkspace,
} from '../__testUtils__/cluster';
import {
  RenderBackend,
  startPipelineRenderBackend,
} from '../__testUtils__/render';
import { FORM } from '../template/formVariants';
import { RUN_LABEL } from '../deploy/applyObject';

jest.setTimeout(20 * 60_000);

describe('lambda:kubernetes:deploy without a cluster', () => {
  it('skips with instructions, also in a dry run', async () => {
    for (const dryRun of [false, true]) {
      const run = await runDeployAction(
        {},
        { workspacePath: writeWorkspace([]), namespace: 'orders', dryRun },
      );
      expect(run.error).toBeUndefined();
      expect(run.lines).toEqual([
        `info: Skipping deploy${
          dryRun ? ' (dry run)' : ''
        }: no Kubernetes cluster is configured (set lambdaPipelines.kubernetes.cluster in app-config). ` +
          'To deploy by hand: cd platform && ./scripts/up.sh (or scripts\\up.ps1 on Windows)',
      ]);
      expect(run.outputs).toEqual({
        deployed: false,
        reason:
          'no Kubernetes cluster is configured (set lambdaPipelines.kubernetes.cluster in app-config)',
      });
    }
  });

  it('names the field of an invalid input and the key of an incomplete cluster config', async () => {
    const ws = writeWorkspace([]);
    expect(
      (await runDeployAction({}, { workspacePath: ws, namespace: 'Orders_EU' }))
        .error?.message,
    ).toMatch(/^namespace 'Orders_EU' is not a valid Kubernetes namespace/);
    const outside = await runDeployAction(
      {},
      { workspacePath: ws, namespace: 'orders', manifestsPath: '../elsewhere' },
    );
    expect(outside.error).toBeInstanceOf(InputError);
    expect(outside.error?.message).toMatch(
      /^manifestsPath '\.\.\/elsewhere' must be a directory inside the task workspace/,
    );
    const incomplete = await runDeployAction(
      { lambdaPipelines: { kubernetes: { cluster: { name: 'kind-lambda' } } } },
      { workspacePath: ws, namespace: 'orders' },
    );
    expect(incomplete.error?.message).toMatch(
      /lambdaPipelines\.kubernetes\.cluster needs credentials: set lambdaPipelines\.kubernetes\.cluster\.kubeconfigPath/,
    );
    const tokenless = await runDeployAction(
      {
        lambdaPipelines: {
          kubernetes: { cluster: { name: 'k', url: 'https://127.0.0.1:6443' } },
        },
      },
      { workspacePath: ws, namespace: 'orders' },
    );
    expect(tokenless.error?.message).toMatch(
      /serviceAccountToken is required with lambdaPipelines\.kubernetes\.cluster\.url/,
    );
  });
});

describe('lambda:kubernetes:deploy against a real API server', () => {
  let cluster: TestCluster;
  let renderer: RenderBackend;
  const suffix = uniqueSuffix();
  const name = `dep-${suffix}`;
  let workspace: string;
  const cleanup: KubeObject[] = [];

  /** Reads every object of a namespace that the deploy manages. */
  const managed = async (namespace: string) => {
    const kinds: Array<[string, string]> = [
      ['v1', 'ConfigMap'],
      ['apps/v1', 'StatefulSet'],
      ['kafka.strimzi.io/v1', 'Kafka'],
      ['kafka.strimzi.io/v1', 'KafkaTopic'],
      ['sparkoperator.k8s.io/v1beta2', 'SparkApplication'],
    ];
    const out: KubeObject[] = [];
    for (const [apiVersion, kind] of kinds) {
      out.push(...(await cluster.client.list(apiVersion, kind, { namespace })));
    }
    return out;
  };

  beforeAll(async () => {
    cluster = await startTestCluster();
    renderer = await startPipelineRenderBackend();
    const result = await renderer.render({
      ...FORM,
      name,
      tables: [FORM.tables[0]],
      profile: 'local',
      catalogType: 'jdbc',
      catalogUri: 'jdbc:postgresql://postgres:5432/iceberg_catalog',
    });
    workspace = writeWorkspace(
      result.files.filter(f => f.path.startsWith('platform/')),
    );
    cleanup.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  });

  afterAll(async () => {
    await renderer?.stop();
    for (const object of cleanup)
      await cluster?.client.delete(refOf(object)).catch(() => undefined);
  });

  it('deploys a rendered pipeline in dependency order and waits until it is ready', async () => {
    const taskId = `task-${suffix}`;
    const run = await runDeployAction(cluster.config(), {
      workspacePath: workspace,
      namespace: name,
      taskId,
    });
    expect(run.error).toBeUndefined();
    const phases = run.lines.filter(l => /^info: Phase \d/.test(l));
    expect(phases.map(l => l.replace(/ \(\d+\)$/, ''))).toEqual([
      'info: Phase 1/5: custom resource definitions',
      'info: Phase 2/5: namespaces',
      'info: Phase 3/5: service accounts, RBAC, secrets, config and services',
      'info: Phase 4/5: custom resources',
      'info: Phase 5/5: workloads',
    ]);
    // The stack installed the same CRDs, so they are found unchanged.
    expect(run.lines).toContain(
      'info: unchanged: CustomResourceDefinition kafkas.kafka.strimzi.io',
    );
    expect(run.lines).toContain(`info: created: Namespace ${name}`);
    expect(
      run.lines.indexOf(
        'info: Ready: CustomResourceDefinition kafkas.kafka.strimzi.io (Established)',
      ),
    ).toBeLessThan(run.lines.indexOf(`info: created: Namespace ${name}`));
    for (const ready of [
      `StatefulSet ${name}/postgres (1/1 ready)`,
      `StatefulSet ${name}/clickhouse (1/1 ready)`,
      `Kafka ${name}/`,
      `SparkApplication ${name}/`,
    ]) {
      expect(run.lines.some(l => l.startsWith(`info: Ready: ${ready}`))).toBe(
        true,
      );
    }
    expect(run.outputs.deployed).toBe(true);
    expect(run.outputs.counts.unchanged).toBe(9);
    expect(run.outputs.counts.created).toBe(run.outputs.objects.length - 9);
    expect(run.outputs.reason).toMatch(
      /^Created \d+, changed 0, left 9 unchanged on cluster 'lp-stack'\.$/,
    );

    // On the cluster: labelled with this run, owned by one field manager, ready.
    const namespace = await cluster.client.read({
      apiVersion: 'v1',
      kind: 'Namespace',
      name,
    });
    expect(namespace?.metadata.labels?.[RUN_LABEL]).toBe(taskId);
    const objects = await managed(name);
    expect(objects.length).toBeGreaterThan(5);
    for (const object of objects.filter(
      o => o.metadata.labels?.['lambda-pipelines.io/pipeline'],
    )) {
      expect({
        ref: formatRef(object),
        run: object.metadata.labels?.[RUN_LABEL],
      }).toEqual({ ref: formatRef(object), run: taskId });
      expect(
        (object.metadata.managedFields as any[])
          .filter(f => f.operation === 'Apply')
          .map(f => f.manager),
      ).toEqual(['lambda-pipelines']);
    }
  });

  it('changes nothing on a second run and says so', async () => {
    const before = await managed(name);
    const run = await runDeployAction(cluster.config(), {
      workspacePath: workspace,
      namespace: name,
    });
    expect(run.error).toBeUndefined();
    const total = run.outputs.objects.length;
    expect(run.outputs.counts).toEqual({
      created: 0,
      configured: 0,
      unchanged: total,
    });
    expect(run.lines).toContain(
      `info: No changes: all ${total} objects are already as the manifests say.`,
    );
    expect(run.outputs.reason).toBe(
      `No changes: all ${total} objects were already deployed.`,
    );
    const after = await managed(name);
    expect(after.map(o => [formatRef(o), o.metadata.resourceVersion])).toEqual(
      before.map(o => [formatRef(o), o.metadata.resourceVersion]),
    );
    // The first run's label stays: this run created nothing it could roll back.
    expect(
      after.every(
        o =>
          o.metadata.labels?.[RUN_LABEL] !== undefined ||
          !o.metadata.labels?.['lambda-pipelines.io/pipeline'],
      ),
    ).toBe(true);
  });

  it('reports the fields a changed manifest changes', async () => {
    const topics = path.join(
      workspace,
      'platform/deploy/base/kafka/topics.yaml',
    );
    const original = fs.readFileSync(topics, 'utf8');
    fs.writeFileSync(
      topics,
      original.replace(
        /retention\.ms: "?(\d+)"?/,
        (_, ms) => `retention.ms: ${Number(ms) + 1000}`,
      ),
    );
    try {
      const dry = await runDeployAction(cluster.config(), {
        workspacePath: workspace,
        namespace: name,
        dryRun: true,
      });
      expect(dry.error).toBeUndefined();
      expect(
        dry.lines.filter(l => l.startsWith('info: would be configured: ')),
      ).toEqual([
        expect.stringMatching(
          new RegExp(
            `^info: would be configured: KafkaTopic ${name}/.* \\(spec\\.config\\.retention\\.ms\\)$`,
          ),
        ),
      ]);
      const run = await runDeployAction(cluster.config(), {
        workspacePath: workspace,
        namespace: name,
      });
      expect(run.outputs.counts.configured).toBe(1);
    } finally {
      fs.writeFileSync(topics, original);
    }
  });

  it('dry-runs a new pipeline on the server and persists nothing', async () => {
    const dryName = `dry-${suffix}`;
    const result = await renderer.render({
      ...FORM,
      name: dryName,
      tables: [FORM.tables[0]],
    });
    const ws = writeWorkspace(
      result.files.filter(f => f.path.startsWith('platform/')),
    );
    const run = await runDeployAction(cluster.config(), {
      workspacePath: ws,
      namespace: dryName,
      dryRun: true,
    });
    expect(run.error).toBeUndefined();
    expect(run.lines[0]).toMatch(
      /^info: Dry run \(server-side, nothing is persisted\): deploying \d+ objects/,
    );
    expect(run.lines).toContain(`info: would be created: Namespace ${dryName}`);
    expect(run.lines).toContain(
      `info: would be created: StatefulSet ${dryName}/postgres (namespace ${dryName} does not exist yet: checked by the server in namespace default instead)`,
    );
    // RoleBindings would be judged without their Roles elsewhere.
    expect(run.lines).toContain(
      `info: would be created: RoleBinding ${dryName}/spark-driver (namespace ${dryName} is created by this deploy, so the server cannot check it yet)`,
    );
    expect(run.outputs.deployed).toBe(false);
    expect(run.outputs.reason).toMatch(
      /^Dry run: would create \d+, would change 0, left 9 unchanged/,
    );
    expect(run.lines.some(l => /Ready:|Waiting for/.test(l))).toBe(false);
    expect(
      await cluster.client.read({
        apiVersion: 'v1',
        kind: 'Namespace',
        name: dryName,
      }),
    ).toBeUndefined();
  });

  it('fails a dry run on an invalid object in a namespace it would create, persisting nothing', async () => {
    const ns = `dry-bad-${suffix}`;
    const ws = writeWorkspace([
      {
        path: 'm/all.yaml',
        content: toYaml([
          { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
          {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { name: 'fine' },
            data: { a: '1' },
          },
          {
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            metadata: { name: 'bad' },
            spec: {
              selector: { matchLabels: { app: 'bad' } },
              template: {
                metadata: { labels: { app: 'other' } },
                spec: { containers: [{ name: 'app', image: 'busybox:1.37' }] },
              },
            },
          },
        ]),
      },
    ]);
    const run = await runDeployAction(cluster.config(), {
      workspacePath: ws,
      manifestsPath: 'm',
      namespace: ns,
      dryRun: true,
    });
    expect(run.error?.message).toMatch(
      new RegExp(
        `^Dry run failed: Deployment ${ns}/bad \\(dry-run in namespace default, since ${ns} does not exist yet\\): Deployment.apps "bad" is invalid: spec.template.metadata.labels: Invalid value: .*\`selector\` does not match template \`labels\``,
      ),
    );
    expect(run.lines).toContain(
      `info: would be created: ConfigMap ${ns}/fine (namespace ${ns} does not exist yet: checked by the server in namespace default instead)`,
    );
    expect(run.lines.some(l => /Rollback/.test(l))).toBe(false);
    expect(
      await cluster.client.read({
        apiVersion: 'v1',
        kind: 'Namespace',
        name: ns,
      }),
    ).toBeUndefined();
    expect(
      await cluster.client.read({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        namespace: 'default',
        name: 'fine',
      }),
    ).toBeUndefined();
  });

  it('rolls back what it created when an object is invalid, leaves what existed, and never logs a Secret', async () => {
    const keep = `rb-keep-${suffix}`;
    const fresh = `rb-new-${suffix}`;
    const password = 'hunter2 S3cr3t!';
    const token = 'tok-9d8c7b6a5f';
    cleanup.push({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: keep },
    });
    cleanup.push({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: fresh },
    });
    // What existed before the run.
    await cluster.client.apply(
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: keep } },
      { fieldManager: 'someone-else' },
    );
    const keepMe = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'keep-me', namespace: keep },
      data: { a: '1' },
    };
    const existing = await cluster.client.apply(keepMe, {
      fieldManager: 'someone-else',
    });

    const manifests: KubeObject[] = [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: fresh } },
      keepMe,
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'new-in-old', namespace: keep },
        data: { b: '2' },
      },
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'creds', namespace: fresh },
        stringData: { password },
        data: { token: Buffer.from(token).toString('base64') },
      },
      // Invalid: a label value may not hold spaces; the server's error quotes it.
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'bad', namespace: fresh, labels: { leak: password } },
        data: {},
      },
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'never-applied', namespace: fresh },
        spec: {
          selector: { matchLabels: { app: 'x' } },
          template: {
            metadata: { labels: { app: 'x' } },
            spec: { containers: [{ name: 'x', image: 'x' }] },
          },
        },
      },
    ];
    const ws = writeWorkspace([
      { path: 'manifests/all.yaml', content: toYaml(manifests) },
    ]);
    const checkpoints = new Map<string, unknown>();
    const run = await runDeployAction(cluster.config(), {
      workspacePath: ws,
      manifestsPath: 'manifests',
      namespace: fresh,
      checkpoints,
    });

    expect(run.error?.message).toMatch(
      new RegExp(
        `^Deploy failed: ConfigMap "bad" is invalid: metadata.labels: Invalid value: "\\*\\*\\*"`,
      ),
    );
    expect(run.error?.message).toContain(
      `Rolled back: deleted 3 object(s) this run created (ConfigMap ${keep}/new-in-old, Secret ${fresh}/creds, Namespace ${fresh}); ` +
        '1 object(s) that existed before were left as they were.',
    );
    expect(run.lines).toContain(`info: Rollback: deleted Namespace ${fresh}`);
    expect(run.lines).toContain(
      `info: Rollback: deleted Secret ${fresh}/creds`,
    );
    expect(
      await cluster.client.read({
        apiVersion: 'v1',
        kind: 'Namespace',
        name: fresh,
      }),
    ).toBeUndefined();
    expect(
      await cluster.client.read({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        namespace: keep,
        name: 'new-in-old',
      }),
    ).toBeUndefined();
    const kept = await cluster.client.read(refOf(keepMe as KubeObject));
    expect(kept?.metadata.uid).toBe(existing.metadata.uid);
    expect(kept?.metadata.labels?.[RUN_LABEL]).toBeUndefined();

    // The Secret's values appear nowhere: not in the log, the error, the outputs or the checkpoints.
    const everything = JSON.stringify([
      run.lines,
      run.error?.message,
      run.error?.stack,
      run.outputs,
      [...checkpoints],
    ]);
    for (const value of [
      password,
      token,
      Buffer.from(password).toString('base64'),
      Buffer.from(token).toString('base64'),
    ]) {
      expect(everything).not.toContain(value);
    }
    expect(
      run.lines.some(l => l.includes('Secret') && l.includes('creds')),
    ).toBe(true);
  });

  it('times out naming the objects that are not ready, with their conditions and events, and rolls back', async () => {
    const ns = `to-${suffix}`;
    cleanup.push({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: ns },
    });
    const manifests: KubeObject[] = [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
      {
        apiVersion: 'kafka.strimzi.io/v1',
        kind: 'KafkaTopic',
        metadata: {
          name: 'stuck-topic',
          labels: { 'strimzi.io/cluster': 'kafka' },
          // The stack's kwok plays the Strimzi operator; this makes it report NotReady.
          annotations: {
            'kwok.lambda-pipelines.io/not-ready':
              'Kafka cluster kafka is not ready yet',
          },
        },
        spec: { partitions: 1, replicas: 1 },
      },
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'stuck' },
        spec: {
          selector: { matchLabels: { app: 'stuck' } },
          template: {
            metadata: { labels: { app: 'stuck' } },
            spec: {
              nodeSelector: { 'lambda-pipelines.io/no-such-node': 'true' },
              containers: [{ name: 'app', image: 'busybox:1.37' }],
            },
          },
        },
      },
    ];
    const ws = writeWorkspace([
      { path: 'm/all.yaml', content: toYaml(manifests) },
    ]);
    const started = Date.now();
    const run = await runDeployAction(cluster.config(), {
      workspacePath: ws,
      manifestsPath: 'm',
      namespace: ns,
      timeoutSeconds: 6,
    });
    const message = run.error?.message ?? '';
    expect(message).toMatch(
      /^Deploy failed: Timed out after \d+ s: .*not ready \(timeout 6 s for /,
    );
    expect(message).toContain(
      `KafkaTopic ${ns}/stuck-topic: NotReady: Simulated: Kafka cluster kafka is not ready yet`,
    );
    expect(message).toContain(
      '    NotReady=True Simulated: Kafka cluster kafka is not ready yet',
    );
    expect(message).toContain(`Deployment ${ns}/stuck: 0/1 available`);
    expect(message).toMatch(
      /Warning FailedScheduling \(Pod stuck-[a-z0-9-]+\): 0\/1 nodes are available: 1 node\(s\) didn't match Pod's node affinity\/selector/,
    );
    expect(message).toContain(
      `Rolled back: deleted 3 object(s) this run created`,
    );
    // Progress at least every few seconds, saying what it waits for.
    const waiting = run.lines.filter(l => l.startsWith('info: Waiting for '));
    expect(waiting.length).toBeGreaterThanOrEqual(
      Math.floor((Date.now() - started) / 1000 / 5),
    );
    expect(waiting[0]).toMatch(
      new RegExp(
        `Waiting for 2 of 2 object\\(s\\) \\(\\d+ s\\): KafkaTopic ${ns}/stuck-topic \\(NotReady: Simulated: .*\\); Deployment ${ns}/stuck \\(`,
      ),
    );
    expect(
      await cluster.client.read({
        apiVersion: 'v1',
        kind: 'Namespace',
        name: ns,
      }),
    ).toBeUndefined();
  });

  it('does not repeat what a checkpoint recorded when a task is recovered', async () => {
    const ns = `rec-${suffix}`;
    cleanup.push({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: ns },
    });
    const manifests: KubeObject[] = [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'once' },
        data: { a: '1' },
      },
    ];
    const ws = writeWorkspace([
      { path: 'm/all.yaml', content: toYaml(manifests) },
    ]);
    const checkpoints = new Map<string, unknown>();
    const taskId = `task-rec-${suffix}`;
    const first = await runDeployAction(cluster.config(), {
      workspacePath: ws,
      manifestsPath: 'm',
      namespace: ns,
      taskId,
      checkpoints,
    });
    expect(first.outputs.counts).toEqual({
      created: 2,
      configured: 0,
      unchanged: 0,
    });
    expect([...checkpoints.keys()]).toEqual([
      `apply./Namespace//${ns}`,
      `apply./ConfigMap/${ns}/once`,
    ]);
    expect(checkpoints.get(`apply./ConfigMap/${ns}/once`)).toMatchObject({
      action: 'created',
      createdByRun: true,
      uid: expect.any(String),
    });

    // Someone deletes the ConfigMap; the recovered task (same id, same checkpoints) does not apply it again.
    await cluster.client.delete({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: ns,
      name: 'once',
    });
    const recovered = await runDeployAction(cluster.config(), {
      workspacePath: ws,
      manifestsPath: 'm',
      namespace: ns,
      taskId,
      checkpoints,
    });
    expect(recovered.error).toBeUndefined();
    expect(recovered.outputs.counts).toEqual({
      created: 2,
      configured: 0,
      unchanged: 0,
    });
    expect(
      await cluster.client.read({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        namespace: ns,
        name: 'once',
      }),
    ).toBeUndefined();
    // A new task does apply it.
    const again = await runDeployAction(cluster.config(), {
      workspacePath: ws,
      manifestsPath: 'm',
      namespace: ns,
    });
    expect(again.outputs.counts).toEqual({
      created: 1,
      configured: 0,
      unchanged: 1,
    });
  });

  it('fails clearly on a kind the cluster does not serve, before applying anything', async () => {
    const ns = `nocrd-${suffix}`;
    const ws = writeWorkspace([
      {
        path: 'm/all.yaml',
        content: toYaml([
          { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
          {
            apiVersion: 'example.com/v1',
            kind: 'Widget',
            metadata: { name: 'w' },
          },
        ]),
      },
    ]);
    const run = await runDeployAction(cluster.config(), {
      workspacePath: ws,
      manifestsPath: 'm',
      namespace: ns,
    });
    expect(run.error).toBeInstanceOf(InputError);
    expect(run.error?.message).toBe(
      'all.yaml, document 2: the cluster does not serve Widget (example.com/v1) and the manifests carry no CRD for it; install its operator or add its CustomResourceDefinition to the manifests.',
    );
    expect(
      await cluster.client.read({
        apiVersion: 'v1',
        kind: 'Namespace',
        name: ns,
      }),
    ).toBeUndefined();
  });
});
