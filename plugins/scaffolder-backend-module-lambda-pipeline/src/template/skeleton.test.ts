import yaml from 'yaml';
import {
  RenderBackend,
  RenderResult,
  startRenderBackend,
} from '../__testUtils__/render';
import { findUnrenderedSyntax } from '../__testUtils__/unrendered';
import { parseYamlFiles } from '../__testUtils__/yamlFiles';
import { loadManifestValidator } from '../__testUtils__/manifests';
import {
  validateHelmValues,
  unknownValueKeys,
} from '../__testUtils__/helmValues';
import { validateKindConfig } from '../__testUtils__/kindConfig';
import { scanForSecrets } from '../__testUtils__/secrets';
import { kustomizeBuild } from '../__testUtils__/kustomize';
import { UPSTREAM_SCHEMAS_DIR } from '../__testUtils__/cache';
import { memoryFromRendered } from './renderedMemory';
import { FORM, variants } from './formVariants';
import fs from 'fs';
import path from 'path';

jest.setTimeout(15 * 60_000);

/**
 * The "Create pipeline" template rendered through the real scaffolder (its
 * dry-run API, as Backstage's template editor uses it) for several specs,
 * and everything it produces checked against the schemas of the tools that
 * will read it.
 */
describe('Create pipeline: rendered repositories', () => {
  let backend: RenderBackend;
  const rendered = new Map<string, RenderResult>();

  beforeAll(async () => {
    backend = await startRenderBackend(
      {},
      {
        lambdaPipelines: {
          publish: { local: { directory: '/tmp/lp-render-repos' } },
        },
      },
    );
    for (const [name, values] of Object.entries(variants)) {
      rendered.set(name, await backend.render({ ...values }));
    }
  });

  afterAll(async () => {
    await backend?.stop();
  });

  const each = () => [...rendered.entries()];
  const file = (result: RenderResult, p: string) => {
    const found = result.files.find(f => f.path === p);
    if (!found) {
      throw new Error(
        `${p} was not rendered; got ${result.files
          .map(f => f.path)
          .join(', ')}`,
      );
    }
    return found.content;
  };

  it('renders both repositories for every spec, with the steps in order', () => {
    expect(rendered.size).toBeGreaterThanOrEqual(4);
    for (const [name, result] of each()) {
      const paths = result.files.map(f => f.path);
      expect({
        name,
        hasPlatform: paths.includes('platform/catalog-info.yaml'),
      }).toEqual({ name, hasPlatform: true });
      expect(paths).toContain('dags/README.md');
      expect(paths).toContain('platform/pipeline.yaml');
      const log = result.log.join('\n');
      expect(log).toMatch(
        /Skipping deploy.*: no Kubernetes cluster is configured/,
      );
      // No bytecode or editor leftovers from the skeleton folders.
      expect(paths.filter(p => /__pycache__|\.pyc$|~$/.test(p))).toEqual([]);
      // The jobs ship as written and read the rendered pipeline.json.
      for (const job of [
        'platform/jobs/speed_job.py',
        'platform/jobs/batch_job.py',
        'platform/jobs/lpjobs/cdc.py',
      ]) {
        expect(paths).toContain(job);
      }
      const jobsConfig = JSON.parse(
        file(result, 'platform/jobs/pipeline.json'),
      );
      expect({ name, jobsConfig }).toEqual({
        name,
        jobsConfig: JSON.parse(JSON.stringify(planOf(result).jobs)),
      });
    }
  });

  it('leaves no template syntax behind', () => {
    for (const [name, result] of each()) {
      expect({ name, leftovers: findUnrenderedSyntax(result.files) }).toEqual({
        name,
        leftovers: [],
      });
    }
  });

  it('writes YAML that parses and Kubernetes objects that validate against their schemas', async () => {
    const validator = await loadManifestValidator();
    for (const [name, result] of each()) {
      const parsed = parseYamlFiles(result.files);
      const objects = parsed
        .filter(
          f =>
            f.path.startsWith('platform/deploy/') ||
            f.path.startsWith('platform/kind/local-registry'),
        )
        .filter(f => !f.path.endsWith('kustomization.yaml'))
        .flatMap(f => f.docs.map(doc => ({ path: f.path, doc })));
      expect(objects.length).toBeGreaterThan(20);
      const errors = objects.flatMap(({ path: p, doc }) =>
        validator.validate(doc).map(e => `${p}: ${e}`),
      );
      expect({ name, errors }).toEqual({ name, errors: [] });
    }
  });

  it('builds the kind overlay with kustomize, and every built object validates', async () => {
    const validator = await loadManifestValidator();
    for (const [name, result] of each()) {
      const dir = fs.mkdtempSync(
        path.join(require('os').tmpdir(), 'lp-render-'),
      );
      try {
        for (const f of result.files) {
          const target = path.join(dir, f.path);
          fs.mkdirSync(path.dirname(target), { recursive: true });
          fs.writeFileSync(target, f.content);
        }
        const built = yaml
          .parseAllDocuments(
            await kustomizeBuild(
              path.join(dir, 'platform/deploy/overlays/kind'),
            ),
          )
          .map(d => d.toJSON());
        const kinds = built.map((o: any) => o.kind);
        expect(kinds).toEqual(
          expect.arrayContaining([
            'Kafka',
            'KafkaNodePool',
            'KafkaConnect',
            'KafkaConnector',
            'KafkaTopic',
            'StatefulSet',
            'SparkApplication',
            'PrometheusRule',
            'NetworkPolicy',
          ]),
        );
        expect(kinds).not.toContain('Secret');
        // The SparkApplication CRD shipped is 2.5.2's; the 2.2.1 operator
        // (Spark 3.5) ignores the one field 2.5 added, so none may use it.
        expect(
          built
            .filter((o: any) => o.kind === 'SparkApplication')
            .map((o: any) => [o.metadata.name, o.spec.suspend]),
        ).toEqual(
          built
            .filter((o: any) => o.kind === 'SparkApplication')
            .map((o: any) => [o.metadata.name, undefined]),
        );
        const errors = built.flatMap((o: any) => validator.validate(o));
        expect({ name, errors }).toEqual({ name, errors: [] });
        // The pinned operators' CRDs come with the overlay (cluster-scoped).
        expect(
          built
            .filter((o: any) => o.kind === 'CustomResourceDefinition')
            .map((o: any) => o.metadata.name)
            .sort(),
        ).toEqual([
          'kafkaconnectors.kafka.strimzi.io',
          'kafkaconnects.kafka.strimzi.io',
          'kafkanodepools.kafka.strimzi.io',
          'kafkas.kafka.strimzi.io',
          'kafkatopics.kafka.strimzi.io',
          'podmonitors.monitoring.coreos.com',
          'prometheusrules.monitoring.coreos.com',
          'sealedsecrets.bitnami.com',
          'sparkapplications.sparkoperator.k8s.io',
        ]);
        // Everything else lands in the pipeline's own namespace.
        const namespaces = new Set(
          built
            .filter(
              (o: any) =>
                o.kind !== 'Namespace' && o.kind !== 'CustomResourceDefinition',
            )
            .map((o: any) => o.metadata.namespace),
        );
        expect([...namespaces]).toEqual([planOf(result).namespace]);

        // The pipeline's own cluster (scripts/up.sh) differs from the kind
        // overlay by the Spark UI's NodePort, which kind maps: a cluster
        // shared by several pipelines could hold that port once...
        const plan = planOf(result);
        const own = yaml
          .parseAllDocuments(
            await kustomizeBuild(
              path.join(dir, 'platform/deploy/overlays/kind-cluster'),
            ),
          )
          .map(d => d.toJSON());
        const ui = `${plan.names.speedApplication}-ui`;
        const isUi = (o: any) => o.kind === 'Service' && o.metadata.name === ui;
        expect(built.filter(isUi).map((o: any) => o.spec)).toEqual([
          expect.objectContaining({ type: 'ClusterIP' }),
        ]);
        expect(
          own.filter(isUi).map((o: any) => [o.spec.type, o.spec.ports]),
        ).toEqual([
          [
            'NodePort',
            [
              expect.objectContaining({
                port: plan.ports.sparkUi,
                nodePort: plan.nodePorts.sparkUi,
              }),
            ],
          ],
        ]);
        expect(built.some((o: any) => o.spec?.type === 'NodePort')).toBe(false);

        // ...and by the volumes on host directories: every claim the
        // workloads make takes the host-directory class and has a volume
        // bound to it by name, and nothing else.
        const volumeKinds = [
          'StorageClass',
          'PersistentVolume',
          'PersistentVolumeClaim',
        ];
        const isVolume = (o: any) => volumeKinds.includes(o.kind);
        expect(built.filter(isVolume)).toEqual([]);
        const claims = [
          ...own
            .filter((o: any) => o.kind === 'StatefulSet')
            .flatMap((o: any) =>
              o.spec.volumeClaimTemplates.map((t: any) => ({
                claim: `${t.metadata.name}-${o.metadata.name}-0`,
                storageClass: t.spec.storageClassName,
              })),
            ),
          ...own
            .filter((o: any) => o.kind === 'KafkaNodePool')
            .flatMap((o: any) =>
              o.spec.storage.volumes.map((v: any) => ({
                claim: `data-${v.id}-${o.metadata.labels['strimzi.io/cluster']}-${o.metadata.name}-0`,
                storageClass: v.class,
              })),
            ),
          ...own
            .filter((o: any) => o.kind === 'PersistentVolumeClaim')
            .map((o: any) => ({
              claim: o.metadata.name,
              storageClass: o.spec.storageClassName,
            })),
        ];
        expect(claims.map(c => c.claim)).toContain(
          plan.volumes.claims.airflowLogs.claim,
        );
        for (const c of claims)
          expect(c.storageClass).toBe(plan.volumes.storageClass);
        const pvs = own.filter((o: any) => o.kind === 'PersistentVolume');
        expect(pvs.map((pv: any) => pv.spec.claimRef.name).sort()).toEqual(
          claims.map(c => c.claim).sort(),
        );
        for (const pv of pvs) {
          expect(pv.spec.claimRef.namespace).toBe(plan.namespace);
          expect(pv.spec.storageClassName).toBe(plan.volumes.storageClass);
          expect(pv.spec.persistentVolumeReclaimPolicy).toBe('Retain');
          expect(pv.spec.hostPath.path).toMatch(
            new RegExp(`^${plan.volumes.nodePath}/[a-z-]+$`),
          );
        }
        expect(
          own.filter(
            (o: any) =>
              o.kind === 'StorageClass' &&
              o.metadata.name === plan.volumes.storageClass,
          ),
        ).toHaveLength(1);
        // Apart from that, the same objects.
        const withoutClasses = (o: any) => {
          const copy = JSON.parse(JSON.stringify(o));
          for (const t of copy.spec?.volumeClaimTemplates ?? [])
            delete t.spec.storageClassName;
          for (const v of copy.spec?.storage?.volumes ?? []) delete v.class;
          return copy;
        };
        expect(
          own.filter(o => !isUi(o) && !isVolume(o)).map(withoutClasses),
        ).toEqual(built.filter(o => !isUi(o)).map(withoutClasses));
        expect(own.flatMap((o: any) => validator.validate(o))).toEqual([]);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }
  });

  it('writes Helm values the charts accept and a valid kind config', () => {
    const sparkDefaults = fs.readFileSync(
      path.join(UPSTREAM_SCHEMAS_DIR, 'spark-operator/values.yaml'),
      'utf8',
    );
    for (const [name, result] of each()) {
      const airflow = yaml.parse(
        file(result, 'platform/helm/airflow.values.yaml'),
      );
      expect({ name, airflow: validateHelmValues(airflow, 'airflow') }).toEqual(
        { name, airflow: [] },
      );
      expect(airflow.executor).toBe('KubernetesExecutor');
      expect(airflow.dags.gitSync.enabled).toBe(true);
      expect(airflow.postgresql.enabled).toBe(false);
      // A push is live in under two minutes without restarts.
      const period = parseInt(airflow.dags.gitSync.period, 10);
      expect(
        period + Number(airflow.config.dag_processor.refresh_interval),
      ).toBeLessThan(120);
      const spark = yaml.parse(
        file(result, 'platform/helm/spark-operator.values.yaml'),
      );
      expect({ name, spark: unknownValueKeys(spark, sparkDefaults) }).toEqual({
        name,
        spark: [],
      });
      const kind = yaml.parse(file(result, 'platform/kind/cluster.yaml'));
      expect({ name, kind: validateKindConfig(kind) }).toEqual({
        name,
        kind: [],
      });
    }
  });

  it('sizes every container exactly as the memory table says, within the budget', () => {
    for (const [name, result] of each()) {
      const plan = planOf(result);
      const fromRendered = memoryFromRendered(result.files);
      const table = Object.fromEntries(
        plan.sizing.memory.components
          .filter((c: any) => c.renderedIn)
          .map((c: any) => [
            c.id,
            {
              limitMiB: c.limitMiB * c.replicas,
              requestMiB: c.requestMiB * c.replicas,
            },
          ]),
      );
      expect({ name, rendered: fromRendered }).toEqual({
        name,
        rendered: table,
      });
      expect(plan.sizing.memory.fits).toBe(true);
      expect(plan.sizing.memory.peakLimitMiB).toBeLessThanOrEqual(
        plan.sizing.memory.budgetMiB,
      );
      // The README's table is the same table.
      const readme = file(result, 'platform/README.md');
      for (const row of plan.memoryTable) {
        expect(readme).toContain(
          `| ${row.title} | ${row.layer} | ${row.phase} | ${row.replicas} | ${row.request} | ${row.limit} |`,
        );
      }
    }
  });

  it('gives Kafka Connect the S3 Secret as AWS credentials exactly when the Iceberg sink commits to Glue', () => {
    for (const [name, result] of each()) {
      const pipeline = yaml.parse(file(result, 'platform/pipeline.yaml'));
      const lake = pipeline.spec.lake;
      const glue =
        lake.sink === 'iceberg' && lake.iceberg.catalog.type === 'glue';
      const connect = yaml
        .parseAllDocuments(
          file(result, 'platform/deploy/base/kafka/connect.yaml'),
        )
        .map(d => d.toJS())
        .find(d => d?.kind === 'KafkaConnect');
      const env = connect.spec.template?.connectContainer?.env ?? [];
      const byName = Object.fromEntries(
        env.map((e: any) => [e.name, e.valueFrom?.secretKeyRef ?? e.value]),
      );
      expect({ name, env: byName }).toEqual({
        name,
        env: glue
          ? {
              AWS_ACCESS_KEY_ID: {
                name: pipeline.spec.secrets.s3,
                key: 'access-key-id',
              },
              AWS_SECRET_ACCESS_KEY: {
                name: pipeline.spec.secrets.s3,
                key: 'secret-access-key',
              },
              AWS_REGION: lake.s3.region,
            }
          : {},
      });
    }
    // The form's default is Glue: the case is covered.
    expect(
      yaml.parse(
        file(
          rendered.get('several tables, cloud, Glue, Iceberg')!,
          'platform/pipeline.yaml',
        ),
      ).spec.lake.iceberg.catalog.type,
    ).toBe('glue');
  });

  it('puts no secret value anywhere', () => {
    for (const [name, result] of each()) {
      expect({ name, findings: scanForSecrets(result.files) }).toEqual({
        name,
        findings: [],
      });
    }
  });

  it('catalog-info.yaml registers the pipeline; its datasets come from the catalog module', () => {
    const result = rendered.get('several tables, cloud, Glue, Iceberg')!;
    const plan = planOf(result);
    const entities = yaml
      .parseAllDocuments(file(result, 'platform/catalog-info.yaml'))
      .map(d => d.toJSON());
    // Datasets are listed by the catalog module from the spec (with live
    // facts); the same entities in YAML would conflict with it.
    expect(entities.map((e: any) => e.kind)).toEqual(['System', 'Component']);
    const [system, component] = entities;
    for (const entity of [system, component]) {
      expect(entity.metadata.annotations['lambda-pipelines.io/spec']).toBe(
        './pipeline.yaml',
      );
    }
    expect(component.spec.system).toBe(system.metadata.name);
    // The jobs depend on the source tables, by the names the module gives them.
    expect(component.spec.dependsOn).toEqual(
      plan.datasets.map((d: any) => `resource:${d.entities.source}`),
    );
    expect(component.spec.dependsOn).toHaveLength(FORM.tables.length);
  });

  it('refuses an 8Gi budget, a zero target and bad names, naming the field', async () => {
    const failure = async (values: Record<string, unknown>) => {
      const error = await backend.render(values).then(
        () => undefined,
        e => e as Error,
      );
      expect(error).toBeInstanceOf(Error);
      return error!.message;
    };
    // The form refuses these before any action runs, naming the field.
    expect(await failure({ ...FORM, memoryBudget: '8Gi' })).toMatch(
      /memoryBudget is not one of enum values/,
    );
    expect(await failure({ ...FORM, targetEventsPerSecond: 0 })).toMatch(
      /targetEventsPerSecond must be greater than or equal to 1/,
    );
    expect(await failure({ ...FORM, name: 'Bad_Name' })).toMatch(
      /instance\.name does not match pattern/,
    );
    // A budget the form allows but the pipeline does not fit: the planning step names the components.
    expect(await failure({ ...FORM, memoryBudget: '12Gi' })).toMatch(
      /spec\.resources\.memoryBudget \(form field 'memoryBudget'\): 12Gi is below the 1[56]\.\d GiB this pipeline needs .* kept free for the node\), .* over; the largest parts are Kafka Connect/,
    );
    // Missing keys are refused at the planning step with the field named.
    expect(
      await failure({
        ...FORM,
        tables: [{ ...FORM.tables[0], primaryKey: ['no_such_column'] }],
      }),
    ).toMatch(/tables\[0\]\.primaryKey/);
  });
});

function planOf(result: RenderResult): any {
  const spec = yaml.parse(
    result.files.find(f => f.path === 'platform/pipeline.yaml')!.content,
  );
  // The plan is recomputed from the rendered spec by the same library the action uses.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const common = require('@internal/backstage-plugin-lambda-pipeline-common');
  return common.planPipeline(common.parsePipelineSpec(spec));
}
