import { spawnSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import yaml from 'yaml';
import { Client } from 'pg';
import { stackUp } from '../__testUtils__/stack';
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

  describe('keep the sealed-secrets key outside the cluster, so the committed SealedSecrets outlive it', () => {
    // docker, kind, kubectl, helm and kubeseal cannot run here: one recording
    // stand-in plays them, with just enough state (does the cluster exist, does
    // the controller's key Secret exist) for the scripts' decisions.
    const tool = `#!/bin/sh
name=$(basename "$0")
echo "$name $*" >>"$FAKE/log"
case "$name $*" in
  "docker inspect"*) echo true ;;
  "docker build"*)
    while [ $# -gt 0 ]; do
      [ "$1" = --iidfile ] && printf 'sha256:%s' "$FAKE_IMAGE_ID" >"$2"
      shift
    done ;;
  "kind get clusters"*) [ -f "$FAKE/cluster" ] && echo "$FAKE_CLUSTER" ;;
  "kind delete cluster"*) rm -f "$FAKE/cluster" ;;
  "kubectl -n kube-system get secret -l"*) [ -f "$FAKE/key-secret" ] && echo secret/sealed-secrets-key-1 ;;
  *"jsonpath={.data.tls\\.key}"*) printf 'generated-key' | base64 ;;
  *"jsonpath={.data.tls\\.crt}"*) printf 'generated-cert' | base64 ;;
  "kubectl -n kube-system create secret tls"*) touch "$FAKE/key-secret" ;;
  # The controller makes a key only when it finds none.
  "helm upgrade --install sealed-secrets"*) touch "$FAKE/key-secret" ;;
  "kubectl create secret generic"*) echo "kind: Secret" ;;
  kubeseal*) cat >/dev/null; echo "kind: SealedSecret" ;;
esac
exit 0
`;
    let dir: string;
    let env: NodeJS.ProcessEnv;
    const run = (script: string, ...args: string[]) =>
      spawnSync('sh', [path.join(dir, 'repo/scripts', script), ...args], {
        encoding: 'utf8',
        env,
      });
    const log = () =>
      fs.existsSync(path.join(dir, 'fake/log'))
        ? fs.readFileSync(path.join(dir, 'fake/log'), 'utf8').split('\n')
        : [];
    const indexOf = (pattern: RegExp) => log().findIndex(l => pattern.test(l));

    beforeAll(() => {
      const [, result] = [...rendered.entries()][0];
      const cluster = yaml.parse(file(result, 'pipeline.yaml')).metadata.name;
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lp-sealing-key-'));
      for (const f of result.files.filter(r =>
        r.path.startsWith('platform/'),
      )) {
        const target = path.join(dir, 'repo', f.path.slice('platform/'.length));
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.writeFileSync(target, f.content);
      }
      fs.mkdirSync(path.join(dir, 'bin'));
      fs.mkdirSync(path.join(dir, 'fake'));
      fs.writeFileSync(path.join(dir, 'bin/tool'), tool, { mode: 0o755 });
      for (const name of ['docker', 'kind', 'kubectl', 'helm', 'kubeseal'])
        fs.symlinkSync('tool', path.join(dir, 'bin', name));
      env = {
        PATH: `${path.join(dir, 'bin')}:/usr/bin:/bin`,
        HOME: path.join(dir, 'home'),
        FAKE: path.join(dir, 'fake'),
        FAKE_CLUSTER: cluster,
        FAKE_IMAGE_ID:
          '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
      };
      fs.writeFileSync(path.join(dir, 'fake/cluster'), '');
    });
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    const keys = () =>
      path.join(dir, 'home/.config/lambda-pipelines', env.FAKE_CLUSTER!);

    it('the first up keeps the new key, readable by its owner only, and stops for the secrets with the controller up', () => {
      const up = run('up.sh');
      expect(up.status).toBe(1);
      expect(up.stderr).toContain(
        'no sealed secrets yet: run scripts/seal-secrets.sh',
      );
      expect(
        fs.readFileSync(path.join(keys(), 'sealed-secrets.key'), 'utf8'),
      ).toBe('generated-key');
      expect(
        fs.readFileSync(path.join(keys(), 'sealed-secrets.crt'), 'utf8'),
      ).toBe('generated-cert');
      expect(
        fs.statSync(path.join(keys(), 'sealed-secrets.key')).mode & 0o077,
      ).toBe(0);
      expect(indexOf(/create secret tls/)).toBe(-1);
      expect(indexOf(/helm upgrade --install sealed-secrets/)).toBeGreaterThan(
        -1,
      );
      // Nothing that needs the secrets was started.
      expect(indexOf(/helm upgrade --install strimzi/)).toBe(-1);
    });

    it('seal-secrets seals with the kept certificate, no cluster needed', () => {
      const source = path.join(dir, 'secrets');
      const postgres = yaml.parse(
        file([...rendered.values()][0], 'pipeline.yaml'),
      ).spec.secrets.postgres;
      fs.mkdirSync(path.join(source, postgres), { recursive: true });
      fs.writeFileSync(path.join(source, postgres, 'password'), 'never-logged');
      const seal = run('seal-secrets.sh', source);
      expect(seal.stderr).toBe('');
      expect(seal.status).toBe(0);
      expect(log().find(l => l.startsWith('kubeseal'))).toBe(
        `kubeseal --cert ${path.join(
          keys(),
          'sealed-secrets.crt',
        )} --format yaml`,
      );
      expect(log().join('\n')).not.toContain('never-logged');
    });

    it("seal-secrets generates Airflow's database credentials and keys once, owner-only, and keeps a connection written by hand", () => {
      const source = path.join(dir, 'secrets');
      const pipeline = yaml.parse(
        file([...rendered.values()][0], 'pipeline.yaml'),
      );
      const airflowDb = path.join(
        source,
        pipeline.spec.secrets.airflowDatabase,
      );
      const read = (key: string) =>
        fs.readFileSync(path.join(airflowDb, key), 'utf8');
      const airflowKeys = [
        'username',
        'password',
        'connection',
        'fernet-key',
        'api-secret-key',
        'jwt-secret',
      ];
      const first = Object.fromEntries(airflowKeys.map(k => [k, read(k)]));
      expect(first.username).toBe('airflow');
      expect(first.password).toMatch(/^[0-9a-f]{48}$/);
      expect(first.connection).toBe(
        `postgresql://airflow:${first.password}@postgres:5432/airflow`,
      );
      // A Fernet key: 32 bytes, URL-safe base64, no newline.
      expect(first['fernet-key']).toMatch(/^[A-Za-z0-9_-]{43}=$/);
      expect(Buffer.from(first['fernet-key'], 'base64url').length).toBe(32);
      for (const k of airflowKeys)
        expect({
          k,
          mode: fs.statSync(path.join(airflowDb, k)).mode & 0o077,
        }).toEqual({ k, mode: 0 });
      // Sealed with the rest, never printed.
      expect(log().join('\n')).not.toContain(first.password);

      // Sealing again seals the same values.
      expect(run('seal-secrets.sh', source).status).toBe(0);
      expect(Object.fromEntries(airflowKeys.map(k => [k, read(k)]))).toEqual(
        first,
      );

      // An external database: the hand-written connection stays.
      fs.writeFileSync(
        path.join(airflowDb, 'connection'),
        'postgresql://a:b@db.example:5432/af',
      );
      expect(run('seal-secrets.sh', source).status).toBe(0);
      expect(read('connection')).toBe('postgresql://a:b@db.example:5432/af');
      fs.writeFileSync(path.join(airflowDb, 'connection'), first.connection);

      // A password that cannot go into the URL, and no connection: refused.
      fs.rmSync(path.join(airflowDb, 'connection'));
      fs.writeFileSync(path.join(airflowDb, 'password'), 'p@ss/word');
      const refused = run('seal-secrets.sh', source);
      expect(refused.status).toBe(1);
      expect(refused.stderr).toContain(
        'may hold only letters, digits and . _ ~ -',
      );
      expect(fs.existsSync(path.join(airflowDb, 'connection'))).toBe(false);
      fs.writeFileSync(path.join(airflowDb, 'password'), first.password);
      fs.writeFileSync(path.join(airflowDb, 'connection'), first.connection);
    });

    it("the in-cluster PostgreSQL's init creates Airflow's database for that connection (on a real PostgreSQL)", async () => {
      const stack = stackUp(['postgres']);
      const result = [...rendered.values()][0];
      const pipeline = yaml.parse(file(result, 'pipeline.yaml'));
      const airflowDb = path.join(
        dir,
        'secrets',
        pipeline.spec.secrets.airflowDatabase,
      );
      const read = (key: string) =>
        fs.readFileSync(path.join(airflowDb, key), 'utf8');
      const init = yaml
        .parseAllDocuments(
          file(result, 'deploy/base/postgres/statefulset.yaml'),
        )
        .map(d => d.toJS())
        .find(
          d => d?.kind === 'ConfigMap' && d.metadata.name === 'postgres-init',
        );
      const admin = new Client({
        host: stack.LP_POSTGRES_HOST,
        port: Number(stack.LP_POSTGRES_PORT),
        user: stack.LP_POSTGRES_USER,
        database: 'postgres',
      });
      await admin.connect();
      const connection = new URL(read('connection'));
      const database = connection.pathname.slice(1);
      try {
        await admin.query(`DROP DATABASE IF EXISTS ${database}`);
        await admin.query(`DROP ROLE IF EXISTS ${read('username')}`);
        // The image's entrypoint sources the script with these variables set.
        const script = path.join(dir, '30-airflow.sh');
        fs.writeFileSync(script, init.data['30-airflow.sh']);
        const ran = spawnSync('sh', [script], {
          encoding: 'utf8',
          env: {
            PATH: `${stack.LP_POSTGRES_BIN}:/usr/bin:/bin`,
            PGHOST: stack.LP_POSTGRES_HOST,
            PGPORT: stack.LP_POSTGRES_PORT,
            POSTGRES_USER: stack.LP_POSTGRES_USER,
            POSTGRES_DB: 'postgres',
            AIRFLOW_DB_USER: read('username'),
            AIRFLOW_DB_PASSWORD: read('password'),
          },
        });
        expect(ran.stderr).toBe('');
        expect(ran.status).toBe(0);
        // The chart's connection, pointed at this server, logs in and may
        // create Airflow's tables.
        const airflow = new Client({
          host: stack.LP_POSTGRES_HOST,
          port: Number(stack.LP_POSTGRES_PORT),
          user: decodeURIComponent(connection.username),
          password: decodeURIComponent(connection.password),
          database,
        });
        await airflow.connect();
        try {
          const { rows } = await airflow.query(
            'SELECT current_user AS who, current_database() AS db',
          );
          expect(rows[0]).toEqual({ who: read('username'), db: database });
          await airflow.query('CREATE TABLE lp_probe (id int)');
        } finally {
          await airflow.end();
        }
        const owner = await admin.query(
          'SELECT pg_get_userbyid(datdba) AS owner, has_database_privilege($1, datname, $2) AS public_connect FROM pg_database WHERE datname = $3',
          ['public', 'CONNECT', database],
        );
        expect(owner.rows[0]).toEqual({
          owner: read('username'),
          public_connect: false,
        });
      } finally {
        await admin.query(`DROP DATABASE IF EXISTS ${database}`);
        await admin.query(`DROP ROLE IF EXISTS ${read('username')}`);
        await admin.end();
      }
    });

    it('down deletes the cluster only when the key is kept', () => {
      const kept = path.join(dir, 'kept');
      fs.renameSync(keys(), kept);
      const refused = run('down.sh');
      expect(refused.status).toBe(1);
      expect(refused.stderr).toContain('the sealing key is not kept');
      expect(indexOf(/kind delete cluster/)).toBe(-1);
      fs.renameSync(kept, keys());
      const down = run('down.sh');
      expect(down.status).toBe(0);
      expect(indexOf(/kind delete cluster/)).toBeGreaterThan(-1);
    });

    it('the next cluster gets the kept key before its controller starts, and goes on past the secrets', () => {
      fs.rmSync(path.join(dir, 'fake/key-secret'));
      fs.writeFileSync(path.join(dir, 'fake/log'), '');
      const up = run('up.sh');
      expect(up.stderr).not.toContain('no sealed secrets yet');
      const restore = indexOf(
        /kubectl -n kube-system create secret tls sealed-secrets-key-restored/,
      );
      const label = indexOf(
        /label secret sealed-secrets-key-restored sealedsecrets.bitnami.com\/sealed-secrets-key=active/,
      );
      const controller = indexOf(/helm upgrade --install sealed-secrets/);
      expect(log()[restore]).toContain(
        `--key=${path.join(keys(), 'sealed-secrets.key')}`,
      );
      expect(restore).toBeGreaterThan(-1);
      expect(label).toBeGreaterThan(restore);
      expect(controller).toBeGreaterThan(label);
      expect(indexOf(/helm upgrade --install strimzi/)).toBeGreaterThan(
        controller,
      );
      // The kept key is the one restored: never overwritten by the controller's.
      expect(
        fs.readFileSync(path.join(keys(), 'sealed-secrets.key'), 'utf8'),
      ).toBe('generated-key');
    });

    it("gives a new cluster the host's data directory, with a writable directory per volume, before anything uses them", () => {
      const result = [...rendered.values()][0];
      const plan = yaml.parse(file(result, 'pipeline.yaml'));
      const dataDir = path.join(
        dir,
        'home/.local/share/lambda-pipelines',
        plan.metadata.name,
        'volumes',
      );
      const create = indexOf(/^kind create cluster /);
      expect(log()[create]).toBe(
        `kind create cluster --config ${dir}/repo/.build/kind-cluster.yaml --wait 120s`,
      );
      expect(fs.statSync(dataDir).isDirectory()).toBe(true);
      // The committed config, with the data directory in place of LP_DATA_DIR.
      const committed = file(result, 'kind/cluster.yaml');
      expect(committed).toContain('hostPath: LP_DATA_DIR\n');
      expect(
        fs.readFileSync(
          path.join(dir, 'repo/.build/kind-cluster.yaml'),
          'utf8',
        ),
      ).toBe(
        committed.replace('hostPath: LP_DATA_DIR', `hostPath: ${dataDir}`),
      );
      const mount = yaml
        .parse(committed)
        .nodes[0].extraMounts.find((m: any) => m.hostPath === 'LP_DATA_DIR');
      const volumes = yaml
        .parseAllDocuments(
          file(result, 'deploy/overlays/kind-cluster/volumes.yaml'),
        )
        .map(d => d.toJS())
        .filter(d => d?.kind === 'PersistentVolume');
      expect(volumes.length).toBe(4);
      const dirs = volumes.map((v: any) => {
        expect(path.posix.dirname(v.spec.hostPath.path)).toBe(
          mount.containerPath,
        );
        return path.posix.basename(v.spec.hostPath.path);
      });
      const mkdir = indexOf(
        /^docker exec \S+-control-plane sh -c cd .* mkdir -p/,
      );
      expect(log()[mkdir]).toBe(
        `docker exec ${plan.metadata.name}-control-plane sh -c cd ${
          mount.containerPath
        } && mkdir -p ${dirs.join(' ')} && chmod 0777 ${dirs.join(' ')}`,
      );
      expect(mkdir).toBeGreaterThan(create);
      expect(indexOf(/-k \S+\/\.build\/apply$/)).toBeGreaterThan(mkdir);
    });

    it('builds the Spark image from the repository, pushes it under a tag of its content and applies the manifests with that tag', () => {
      const result = [...rendered.values()][0];
      const plan = yaml.parse(file(result, 'pipeline.yaml'));
      expect(plan.metadata.name).toBe(env.FAKE_CLUSTER);
      const tag = env.FAKE_IMAGE_ID!.slice(0, 16);
      const lines = log();
      const build = indexOf(/^docker build /);
      expect(lines[build]).toBe(
        `docker build -f ${dir}/repo/images/spark/Dockerfile --iidfile ${dir}/repo/.build/spark.iid ${dir}/repo`,
      );
      const push = indexOf(/^docker push /);
      const pushed = lines[push].split(' ')[2];
      expect(pushed).toMatch(new RegExp(`/[a-z0-9-]+-spark:${tag}$`));
      expect(indexOf(/^docker tag /)).toBeGreaterThan(build);
      const apply = indexOf(/^kubectl apply .* -k \S+\/\.build\/apply$/);
      expect(apply).toBeGreaterThan(push);
      expect(lines[apply]).toBe(
        `kubectl apply --server-side --field-manager=lambda-pipelines -k ${dir}/repo/.build/apply`,
      );
      // Nothing applies the committed overlay without the image tag.
      expect(indexOf(/-k \S+\/deploy\/overlays\//)).toBe(-1);
      const kustomization = yaml.parse(
        fs.readFileSync(
          path.join(dir, 'repo/.build/apply/kustomization.yaml'),
          'utf8',
        ),
      );
      expect(kustomization.resources).toEqual([
        '../../deploy/overlays/kind-cluster',
      ]);
      // The name the manifests use (the registry as the cluster sees it),
      // given the tag just pushed.
      const image = kustomization.images[0];
      expect(image.newTag).toBe(tag);
      expect(pushed.split('/').slice(1).join('/')).toBe(
        `${image.name.split('/').slice(1).join('/')}:${tag}`,
      );
      const manifests = result.files
        .filter(f => /^platform\/deploy\/.+\.ya?ml$/.test(f.path))
        .map(f => f.content)
        .join('\n');
      expect(manifests).toContain(`image: ${image.name}:`);
    });

    it('down keeps the data unless --delete-data, which empties it inside the node before the cluster goes', () => {
      const plan = yaml.parse(file([...rendered.values()][0], 'pipeline.yaml'));
      const dataDir = path.join(
        dir,
        'home/.local/share/lambda-pipelines',
        plan.metadata.name,
        'volumes',
      );
      fs.mkdirSync(path.join(dataDir, 'postgres'), { recursive: true });
      fs.writeFileSync(path.join(dataDir, 'postgres/PG_VERSION'), '17');
      const wrong = run('down.sh', '--delete');
      expect(wrong.status).toBe(2);
      expect(wrong.stderr).toContain('unknown option --delete');

      fs.writeFileSync(path.join(dir, 'fake/cluster'), '');
      const kept = run('down.sh');
      expect(kept.status).toBe(0);
      expect(kept.stdout).toContain(`volumes kept in ${dataDir}`);
      expect(fs.existsSync(path.join(dataDir, 'postgres/PG_VERSION'))).toBe(
        true,
      );

      fs.writeFileSync(path.join(dir, 'fake/cluster'), '');
      fs.writeFileSync(path.join(dir, 'fake/log'), '');
      const deleted = run('down.sh', '--delete-data');
      expect(deleted.status).toBe(0);
      const empty = indexOf(/^docker exec \S+-control-plane sh -c rm -rf /);
      expect(log()[empty]).toBe(
        `docker exec ${plan.metadata.name}-control-plane sh -c rm -rf /var/lib/lambda-pipelines/*`,
      );
      expect(indexOf(/^kind delete cluster/)).toBeGreaterThan(empty);
      expect(fs.existsSync(dataDir)).toBe(false);
    });
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
