import { spawnSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import yaml from 'yaml';
import {
  RenderBackend,
  RenderResult,
  startPipelineRenderBackend,
} from '../__testUtils__/render';
import { variants } from './formVariants';

jest.setTimeout(10 * 60_000);

/**
 * The platform repository's scripts and Helm values against what the tools
 * they drive do, for what cannot run here (Docker Desktop, kind, Helm and the
 * charts are not reachable): the contracts, checked on the rendered files.
 */
describe('the deploy scripts of the platform repository', () => {
  let backend: RenderBackend;
  const rendered = new Map<string, RenderResult>();

  beforeAll(async () => {
    backend = await startPipelineRenderBackend();
    for (const [name, values] of Object.entries(variants))
      rendered.set(name, await backend.render({ ...values }));
  });
  afterAll(() => backend?.stop());

  const file = (result: RenderResult, p: string) =>
    result.files.find(f => f.path === `platform/${p}`)!.content;

  it("install Airflow with --wait only as plain Jobs (the chart's migration hook would deadlock), with a generated admin password", () => {
    for (const [name, result] of rendered) {
      const values = yaml.parse(file(result, 'helm/airflow.values.yaml'));
      for (const script of ['scripts/up.sh', 'scripts/up.ps1']) {
        const text = file(result, script);
        // The helm command that installs Airflow (continued lines joined).
        const install = text
          .replace(/\\\n\s*/g, ' ')
          .split('\n')
          .find(l => /helm.+upgrade.+--install.+airflow/.test(l));
        expect({ name, script, found: Boolean(install) }).toEqual({
          name,
          script,
          found: true,
        });
        // With --wait, the migrate-database job must not be a post-install
        // hook: the pods wait for the migration the hook would run after them.
        expect(install).toContain('--wait');
        expect({
          name,
          migrate: values.migrateDatabaseJob.useHelmHooks,
          createUser: values.createUserJob.useHelmHooks,
          migrateEnv: values.migrateDatabaseJob.applyCustomEnv,
          createUserEnv: values.createUserJob.applyCustomEnv,
        }).toEqual({
          name,
          migrate: false,
          createUser: false,
          migrateEnv: false,
          createUserEnv: false,
        });
        expect(install).toContain('createUserJob.defaultUser.password=');
        // Never the chart's admin/admin: the password comes from the Secret airflow-admin.
        expect(values.createUserJob.defaultUser?.password).toBeUndefined();
        expect(text).toContain('airflow-admin');
      }
    }
  });

  it('make a pushed DAG live within 2 minutes in the worst case (git-sync period + the DAG processor refresh + the parse)', () => {
    for (const [name, result] of rendered) {
      const values = yaml.parse(file(result, 'helm/airflow.values.yaml'));
      const spec = yaml.parse(file(result, 'pipeline.yaml'));
      const period = Number(/^(\d+)s$/.exec(values.dags.gitSync.period)![1]);
      const refresh = Number(values.config.dag_processor.refresh_interval);
      // An allowance of ten seconds for the DAG processor to parse the files.
      expect({ name, worstCase: period + refresh + 10 <= 120 }).toEqual({
        name,
        worstCase: true,
      });
      // git-sync v4 follows `ref`: the DAG repository's branch, explicitly.
      expect(values.dags.gitSync.ref).toBe(spec.spec.dags.branch);
    }
  });

  const planOf = (result: RenderResult) => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const common = require('@internal/backstage-plugin-lambda-pipeline-common');
    return common.planPipeline(
      common.parsePipelineSpec(yaml.parse(file(result, 'pipeline.yaml'))),
    );
  };

  it("build Connect with the Buildah options Strimzi 1.2 allows (its build rejects Kaniko's --insecure)", () => {
    // Strimzi 1.2.0's allow-lists (DockerOutput in its API module); an
    // option counts by its name, before any '='.
    const allowed = {
      build: [
        '--authfile',
        '--cert-dir',
        '--creds',
        '--decryption-key',
        '--retry',
        '--retry-delay',
        '--tls-verify',
      ],
      push: [
        '--authfile',
        '--cert-dir',
        '--creds',
        '--quiet',
        '--retry',
        '--retry-delay',
        '--tls-verify',
      ],
    };
    for (const [name, result] of rendered) {
      const connect = yaml
        .parseAllDocuments(file(result, 'deploy/base/kafka/connect.yaml'))
        .map(d => d.toJSON())
        .find(o => o?.kind === 'KafkaConnect');
      const output = connect.spec.build.output;
      const names = (options: string[] = []) =>
        options.map(o => o.split('=')[0]);
      expect({
        name,
        build: names(output.additionalBuildOptions).filter(
          o => !allowed.build.includes(o),
        ),
      }).toEqual({ name, build: [] });
      expect({
        name,
        push: names(output.additionalPushOptions).filter(
          o => !allowed.push.includes(o),
        ),
      }).toEqual({ name, push: [] });
      // The registry is plain HTTP: both steps skip TLS.
      expect(output.additionalBuildOptions).toContain('--tls-verify=false');
      expect(output.additionalPushOptions).toContain('--tls-verify=false');
    }
  });

  it('use one local registry name across images, manifests, containerd and the registry ConfigMap', () => {
    for (const [name, result] of rendered) {
      const plan = planOf(result);
      const cluster = plan.registry.cluster;
      // Every image the pipeline builds is referenced by the cluster-side name.
      const images = result.files
        .filter(f => /^platform\/deploy\/base\/.+\.yaml$/.test(f.path))
        .flatMap(f =>
          [...f.content.matchAll(/\bimage: (\S+)/g)].map(m => m[1]),
        );
      const built = images.filter(i =>
        i.includes(`/${plan.spec.metadata.name}-`),
      );
      expect(built.length).toBeGreaterThanOrEqual(3);
      expect({
        name,
        other: built.filter(i => !i.startsWith(`${cluster}/`)),
      }).toEqual({ name, other: [] });
      expect(JSON.parse(file(result, 'jobs/pipeline.json')).batch.image).toBe(
        plan.images.spark,
      );
      // containerd on the node is told where that name lives, over HTTP.
      const up = file(result, 'scripts/up.sh');
      expect(up).toContain(
        `for registry in "${cluster}" "${plan.registry.host}"`,
      );
      expect(up).toContain(`REGISTRY_NAME=${plan.registry.container}`);
      expect(up).toMatch(/certs\.d\/\$\{registry\}\/hosts\.toml/);
      expect(up).toContain(`[host."http://%s:5000"]`);
      const kind = yaml.parse(file(result, 'kind/cluster.yaml'));
      expect(kind.containerdConfigPatches.join('\n')).toMatch(
        /config_path = "\/etc\/containerd\/certs\.d"/,
      );
      const hosting = yaml.parse(
        yaml.parse(file(result, 'kind/local-registry-hosting.yaml')).data[
          'localRegistryHosting.v1'
        ],
      );
      expect(hosting).toMatchObject({
        host: plan.registry.host,
        hostFromContainerRuntime: cluster,
        hostFromClusterNetwork: cluster,
      });
    }
  });

  it('require PowerShell 7 in every PowerShell script (5.1 turns native stderr into terminating errors)', () => {
    for (const [name, result] of rendered) {
      const scripts = result.files.filter(f =>
        /^platform\/scripts\/.+\.ps1$/.test(f.path),
      );
      expect(scripts.length).toBeGreaterThanOrEqual(4);
      for (const script of scripts)
        expect({
          name,
          path: script.path,
          first: script.content.split('\n')[0],
        }).toEqual({
          name,
          path: script.path,
          first: '#Requires -Version 7.0',
        });
    }
  });

  it('pass shellcheck, every POSIX shell script', () => {
    const [, result] = [...rendered.entries()][0];
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lp-shellcheck-'));
    try {
      const scripts = result.files.filter(f =>
        /^platform\/scripts\/.+\.sh$/.test(f.path),
      );
      expect(scripts.length).toBeGreaterThanOrEqual(4);
      const paths = scripts.map(s => {
        const target = path.join(dir, path.basename(s.path));
        fs.writeFileSync(target, s.content);
        return target;
      });
      const check = spawnSync('shellcheck', ['--shell=sh', ...paths], {
        encoding: 'utf8',
      });
      if (check.error)
        throw new Error(
          `shellcheck could not run (${check.error.message}); the test command installs Debian's shellcheck`,
        );
      expect(check.stdout + check.stderr).toBe('');
      expect(check.status).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
