import { spawnSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import yaml from 'yaml';
import { progress } from '../__testUtils__/cache';
import { renderedRepo } from '../__testUtils__/changeEvents';
import { loadManifestValidator } from '../__testUtils__/manifests';
import { startPipelineRenderBackend } from '../__testUtils__/render';
import { stackUp } from '../__testUtils__/stack';
import { variants } from '../template/formVariants';

jest.setTimeout(10 * 60_000);

/**
 * The rendered DAG repository under real Airflow 3.2.2 (the stack's `airflow`
 * runtime), parsed as the DAG processor parses it: the repository root is
 * the DAG bundle (git-sync), `.airflowignore` applies, no metadata database.
 */

const SPECS = [
  'one table, local, JDBC, Iceberg, local DAG repo',
  'several tables, cloud, REST, raw S3, ssh DAG repo',
];

/** What each DAG looks like once parsed (printed as JSON by DUMP_DAGS). */
type ParsedDag = {
  tags: string[];
  catchup: boolean;
  failureNotifier: boolean;
  deadlines: Array<{ seconds: number; callback: string }>;
  tasks: Array<{
    id: string;
    owner: string;
    retries: number;
    failureNotifier: boolean;
  }>;
  /** The SparkApplication of the batch load (its `spark` section). */
  sparkApplication?: any;
  /** The SparkApplications and pods the DAG's tasks create. */
  kubernetesObjects: any[];
};

const DUMP_DAGS = `
import json, sys
from pathlib import Path
from airflow.dag_processing.dagbag import BundleDagBag
root = Path(sys.argv[1])
sys.path.insert(0, str(root))
from lambda_pipeline.alerts import FailureNotifier

def notifies(callback):
    callbacks = callback if isinstance(callback, list) else [callback] if callback else []
    return any(isinstance(c, FailureNotifier) for c in callbacks)

def kubernetes_objects(dag):
    """What the tasks would create in the cluster: SparkApplications and pods."""
    from types import SimpleNamespace
    from kubernetes.client import ApiClient
    from airflow.providers.cncf.kubernetes.operators.spark_kubernetes import SparkKubernetesOperator
    from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator
    objects = []
    for t in dag.tasks:
        if isinstance(t, SparkKubernetesOperator):
            app = json.loads(json.dumps(t.template_spec.value["spark"]))
            app["metadata"].update(name=app["metadata"]["name"] + "-abcd1234", namespace=t.namespace)
            objects.append(app)
        elif isinstance(t, KubernetesPodOperator):
            t.__dict__["hook"] = SimpleNamespace(is_in_cluster=True)  # no cluster to ask
            objects.append(ApiClient().sanitize_for_serialization(t.build_pod_request_obj()))
    return objects

bag = BundleDagBag(dag_folder=root, bundle_path=root, bundle_name="dags-folder")
out = {"errors": bag.import_errors, "dags": {}}
for dag_id, dag in bag.dags.items():
    spark = next((t for t in dag.tasks if t.task_id == "load_snowflake"), None)
    out["dags"][dag_id] = {
        "kubernetesObjects": kubernetes_objects(dag),
        "tags": sorted(dag.tags),
        "catchup": dag.catchup,
        "failureNotifier": notifies(dag.on_failure_callback),
        "deadlines": [
            {"seconds": d.interval.total_seconds(), "callback": d.callback.path} for d in dag.deadline or []
        ],
        "tasks": [
            {"id": t.task_id, "owner": t.owner, "retries": t.retries, "failureNotifier": notifies(t.on_failure_callback)}
            for t in dag.tasks
        ],
        "sparkApplication": spark.template_spec.value["spark"] if spark else None,
    }
print(json.dumps(out, default=str))
`;

type Airflow = {
  run(
    args: string[],
    dagsFolder: string,
  ): { status: number | null; stdout: string; stderr: string };
  python(script: string, args: string[]): string;
  pytest(repo: string): { status: number | null; output: string };
};

function airflowRuntime(env: Record<string, string>): Airflow {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'lp-airflow-home-'));
  const airflowEnv = (dagsFolder?: string) => ({
    ...process.env,
    AIRFLOW_HOME: home,
    AIRFLOW__CORE__LOAD_EXAMPLES: 'False',
    ...(dagsFolder ? { AIRFLOW__CORE__DAGS_FOLDER: dagsFolder } : {}),
    // Structured INFO lines go to stdout and would corrupt `-o json`.
    AIRFLOW__LOGGING__LOGGING_LEVEL: 'ERROR',
    // `list-import-errors --local` parses files and reads no database.
    AIRFLOW__DATABASE__CHECK_MIGRATIONS: 'False',
  });
  const spawn = (
    command: string,
    args: string[],
    options: { cwd?: string; dagsFolder?: string } = {},
  ) => {
    const result = spawnSync(command, args, {
      cwd: options.cwd,
      env: airflowEnv(options.dagsFolder),
      encoding: 'utf8',
      timeout: 3 * 60_000,
      maxBuffer: 32 * 1024 * 1024,
    });
    if (result.error) throw result.error;
    return result;
  };
  return {
    run(args, dagsFolder) {
      return spawn(env.LP_AIRFLOW_BIN, args, { dagsFolder });
    },
    python(script, args) {
      const result = spawn(env.LP_AIRFLOW_PYTHON, ['-c', script, ...args]);
      if (result.status !== 0) {
        throw new Error(`python failed (${result.status}): ${result.stderr}`);
      }
      return result.stdout;
    },
    pytest(repo) {
      // The repository's own tests, run as tests/requirements.txt tells a data engineer to.
      const result = spawn(
        env.LP_AIRFLOW_PYTEST,
        ['-q', '-p', 'no:cacheprovider', 'tests'],
        { cwd: repo },
      );
      return { status: result.status, output: result.stdout + result.stderr };
    },
  };
}

/** `airflow dags list-import-errors` over the repository as the DAG-folder bundle. */
function importErrors(airflow: Airflow, repo: string) {
  const result = airflow.run(
    [
      'dags',
      'list-import-errors',
      '--local',
      '--bundle-name',
      'dags-folder',
      '-o',
      'json',
    ],
    repo,
  );
  const errors: Array<{ filepath: string; error: string }> = JSON.parse(
    result.stdout.trim() || '[]',
  );
  return { status: result.status, errors, stderr: result.stderr };
}

describe('the DAG repository on Airflow 3.2.2', () => {
  let airflow: Airflow;
  const repos = new Map<
    string,
    { dags: string; platform: string; config: any }
  >();

  beforeAll(async () => {
    progress(
      'dags: installing the airflow runtime (cached after the first run)',
    );
    airflow = airflowRuntime(stackUp(['airflow']));
    const backend = await startPipelineRenderBackend();
    try {
      for (const name of SPECS) {
        const result = await backend.render({ ...variants[name] });
        const dags = renderedRepo(result, 'dags');
        repos.set(name, {
          dags,
          platform: renderedRepo(result, 'platform'),
          config: JSON.parse(
            fs.readFileSync(path.join(dags, 'pipeline.json'), 'utf8'),
          ),
        });
      }
    } finally {
      await backend.stop();
    }
  });

  const parsedDags = new Map<string, Record<string, ParsedDag>>();
  /** The repository's DAGs as DagBag sees them (parsed once per spec). */
  function parsed(specName: string): Record<string, ParsedDag> {
    if (!parsedDags.has(specName)) {
      progress(`dags: ${specName}: parsing with DagBag`);
      const out = JSON.parse(
        airflow.python(DUMP_DAGS, [repos.get(specName)!.dags]),
      );
      expect(out.errors).toEqual({});
      parsedDags.set(specName, out.dags);
    }
    return parsedDags.get(specName)!;
  }

  describe.each(SPECS)('%s', specName => {
    const repo = () => repos.get(specName)!;

    it('imports with no errors (airflow dags list-import-errors)', () => {
      progress(`dags: ${specName}: airflow dags list-import-errors`);
      const { status, errors, stderr } = importErrors(airflow, repo().dags);
      expect(errors).toEqual([]);
      // stderr is in the comparison only to show it when the CLI itself fails.
      expect({ status, stderr: status === 0 ? '' : stderr }).toEqual({
        status: 0,
        stderr: '',
      });
    });

    it('has the four DAGs, each with owner, retries, tags, failure notifiers and deadlines', () => {
      const { config } = repo();
      const dags = parsed(specName);
      const p = config.pipeline;
      expect(Object.keys(dags).sort()).toEqual([
        `${p}_batch_load`,
        `${p}_data_quality`,
        `${p}_dbt`,
        `${p}_reconciliation`,
      ]);
      expect(config.owner).not.toBe('airflow');
      for (const [dagId, dag] of Object.entries(dags)) {
        expect({ dagId, tags: dag.tags }).toEqual({
          dagId,
          tags: expect.arrayContaining([p, 'lambda-pipeline']),
        });
        expect(dag.catchup).toBe(false);
        expect(dag.failureNotifier).toBe(true);
        for (const task of dag.tasks) {
          // The pipeline's catalog owner, never Airflow's default 'airflow'.
          expect({ dagId, ...task }).toEqual({
            dagId,
            id: task.id,
            owner: config.owner,
            retries: task.retries >= 1 ? task.retries : '>= 1',
            failureNotifier: true,
          });
        }
      }
      for (const dagId of [`${p}_batch_load`, `${p}_reconciliation`]) {
        expect(dags[dagId].deadlines).toEqual([
          {
            seconds: expect.any(Number),
            callback: 'lambda_pipeline.alerts.deadline_missed',
          },
        ]);
      }
      // The raw-landing sink needs the merge job before the load.
      const batchTasks = dags[`${p}_batch_load`].tasks.map(t => t.id);
      expect(batchTasks.sort()).toEqual(
        config.batch.lakeSink === 's3-raw'
          ? ['load_snowflake', 'merge_raw_landing']
          : ['load_snowflake'],
      );
    });

    it('submits the SparkApplication the platform repository documents (deploy/base/spark/batch.yaml)', () => {
      const submitted =
        parsed(specName)[`${repo().config.pipeline}_batch_load`]
          .sparkApplication;
      const documented = yaml.parse(
        fs.readFileSync(
          path.join(repo().platform, 'deploy/base/spark/batch.yaml'),
          'utf8',
        ),
      );
      // Airflow retries each run with a new application (the operator deletes
      // the application when its driver fails, so Spark-operator restarts
      // never run); everything else must be what batch.yaml says.
      expect(submitted.spec.restartPolicy).toEqual({ type: 'Never' });
      const withoutRestartPolicy = (app: any) => ({
        ...app,
        spec: { ...app.spec, restartPolicy: undefined },
      });
      expect(withoutRestartPolicy(submitted)).toEqual(
        withoutRestartPolicy(documented),
      );
    });

    it('creates Kubernetes objects the API accepts: every SparkApplication and the dbt pod', async () => {
      const validator = await loadManifestValidator();
      const dags = parsed(specName);
      const objects = Object.values(dags).flatMap(d => d.kubernetesObjects);
      expect(objects.map(o => o.kind).sort()).toEqual(
        repo().config.batch.lakeSink === 's3-raw'
          ? ['Pod', 'SparkApplication', 'SparkApplication']
          : ['Pod', 'SparkApplication'],
      );
      expect(objects.flatMap(o => validator.validate(o))).toEqual([]);
      const dbtPod = objects.find(o => o.kind === 'Pod');
      expect(dbtPod.spec.initContainers.map((c: any) => c.name)).toEqual([
        'git-sync',
      ]);
      // The same repository and branch as Airflow's own git-sync.
      const values = yaml.parse(
        fs.readFileSync(
          path.join(repo().platform, 'helm/airflow.values.yaml'),
          'utf8',
        ),
      );
      const gitSyncEnv = Object.fromEntries(
        dbtPod.spec.initContainers[0].env.map((e: any) => [e.name, e.value]),
      );
      expect(gitSyncEnv).toMatchObject({
        GITSYNC_REPO: values.dags.gitSync.repo,
        GITSYNC_REF: values.dags.gitSync.branch,
        GITSYNC_ONE_TIME: 'true',
      });
    });

    it("passes the repository's own DAG integrity test (pytest tests)", () => {
      progress(`dags: ${specName}: pytest tests/test_dag_integrity.py`);
      const { status, output } = airflow.pytest(repo().dags);
      if (status !== 0) {
        // pytest's summary names the failing tests and their first error line.
        const summary = output.slice(output.indexOf('short test summary info'));
        throw new Error(`pytest exited with ${status}:\n${summary}`);
      }
      expect(output).toMatch(/\d+ passed/);
    });
  });

  it('reports a DAG file that does not import: the CLI and the integrity test fail', () => {
    progress('dags: a broken copy of the repository');
    const broken = fs.mkdtempSync(path.join(os.tmpdir(), 'lp-dags-broken-'));
    fs.cpSync(repos.get(SPECS[0])!.dags, broken, { recursive: true });
    const file = path.join(broken, 'dags/reconciliation.py');
    // A typo in a setting name, the kind of mistake an edit of a DAG makes.
    const source = fs.readFileSync(file, 'utf8');
    const typo = source.replace(
      'CONFIG["reconciliation"]',
      'CONFIG["reconcilation"]',
    );
    expect(typo).not.toBe(source);
    fs.writeFileSync(file, typo);

    const { status, errors } = importErrors(airflow, broken);
    expect(status).toBe(1);
    expect(errors).toEqual([
      {
        bundle_name: 'dags-folder',
        filepath: 'dags/reconciliation.py',
        error: expect.stringContaining("KeyError: 'reconcilation'"),
      },
    ]);

    const { status: pytestStatus, output } = airflow.pytest(broken);
    expect(pytestStatus).toBe(1);
    expect(output).toMatch(
      /FAILED tests\/test_dag_integrity.py::test_no_import_errors/,
    );
  });
});
