import fs from 'fs';
import path from 'path';
import yaml from 'yaml';
import {
  RenderResult,
  startPipelineRenderBackend,
} from '../__testUtils__/render';
import { stackUp } from '../__testUtils__/stack';
import { buildImage, podman } from '../__testUtils__/podman';
import {
  createSnowflakeTables,
  dbtSnowflakeEnv,
} from '../__testUtils__/pipelineRun';
import { snowflakeSession } from '../__testUtils__/snowflake';
import {
  isolated,
  renderedPlatform,
  renderedRepo,
} from '../__testUtils__/changeEvents';
import { variants } from '../template/formVariants';

jest.setTimeout(30 * 60_000);

/**
 * The generated dbt image as scripts/up.sh builds it (images/dbt/Dockerfile,
 * the repository's root as context), on podman, from the stack's stand-in for
 * the official Python image; then the dbt DAG's pod script run in it as the
 * pod runs it (the DAG repository checked out read-only at /git/repo, a
 * writable /work, the image's own user) against the Snowflake emulator.
 */
describe('the dbt image (images/dbt/Dockerfile), built and run', () => {
  let env: Record<string, string>;
  let result: RenderResult;
  let platformDir: string;
  let dagsDir: string;
  let jobs: any;
  let image: string;

  beforeAll(async () => {
    env = stackUp(['snowflake', 'podman', 'base-images']);
    const backend = await startPipelineRenderBackend();
    try {
      result = await backend.render(
        isolated(
          variants['one table, local, JDBC, Iceberg, local DAG repo'],
          'di',
        ),
      );
    } finally {
      await backend.stop();
    }
    const rendered = renderedPlatform(result);
    platformDir = path.join(rendered.dir, 'platform');
    jobs = rendered.jobs;
    dagsDir = renderedRepo(result, 'dags');
    // Readable by the image's user, as git-sync's checkout is.
    fs.chmodSync(dagsDir, 0o755);
  });

  afterAll(async () => {
    if (image) await podman(env, ['rmi', '-f', image]).catch(() => undefined);
    for (const dir of [platformDir && path.dirname(platformDir), dagsDir])
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('is pushed by up.sh under the very name the DAG repository runs, and builds with every pin consistent', async () => {
    const named = JSON.parse(
      fs.readFileSync(path.join(dagsDir, 'pipeline.json'), 'utf8'),
    ).dbt.image as string;
    const upSh = fs.readFileSync(
      path.join(platformDir, 'scripts/up.sh'),
      'utf8',
    );
    const pushed = /^DBT_IMAGE="([^"]+)"$/m.exec(upSh)![1];
    expect(upSh).toContain(
      'docker build -f "$ROOT/images/dbt/Dockerfile" -t "$DBT_IMAGE" "$ROOT"',
    );
    expect(upSh).toContain('docker push "$DBT_IMAGE"');
    // The same repository and tag; the registry's host name differs between
    // the host (push) and the cluster (pull), as kind's recipe has it.
    const hosting = yaml.parse(
      fs.readFileSync(
        path.join(platformDir, 'kind/local-registry-hosting.yaml'),
        'utf8',
      ),
    );
    const registry = yaml.parse(hosting.data['localRegistryHosting.v1']);
    expect(pushed.startsWith(`${registry.host}/`)).toBe(true);
    expect(named.startsWith(`${registry.hostFromClusterNetwork}/`)).toBe(true);
    expect(pushed.slice(registry.host.length)).toBe(
      named.slice(registry.hostFromClusterNetwork.length),
    );

    image = `localhost${pushed.slice(registry.host.length)}`;
    await buildImage(env, {
      dockerfile: path.join(platformDir, 'images/dbt/Dockerfile'),
      context: platformDir,
      tag: image,
      buildArgs: { PYTHON_BASE: env.LP_PYTHON_BASE_IMAGE },
    });
    const pins = fs
      .readFileSync(
        path.join(platformDir, 'images/dbt/requirements.txt'),
        'utf8',
      )
      .split('\n')
      .filter(line => /==/.test(line) && !line.startsWith('#'));
    const frozen = await podman(env, [
      'run',
      '--rm',
      image,
      'python',
      '-m',
      'pip',
      'freeze',
      '--all',
      '--exclude',
      'pip',
      '--exclude',
      'setuptools',
      '--exclude',
      'wheel',
    ]);
    // Exactly the pins: nothing more came in, nothing is missing.
    const norm = (pin: string) => pin.toLowerCase().replace(/[-_.]+/g, '-');
    expect(
      frozen
        .split('\n')
        .filter(Boolean)
        .map(norm)
        .filter(p => !/^(pip|setuptools|wheel)==/.test(p))
        .sort(),
    ).toEqual(pins.map(norm).sort());
    expect(
      (
        await podman(env, [
          'image',
          'inspect',
          '--format',
          '{{.Config.User}}',
          image,
        ])
      ).trim(),
    ).toBe('1000');
  });

  it("runs the dbt DAG pod's script as the pod does: deps and build on the Snowflake emulator", async () => {
    expect(image).toBeDefined();
    const sf = jobs.batch.snowflake;
    await createSnowflakeTables(env, platformDir, jobs);
    const session = await snowflakeSession(env);
    await session
      .query(`DROP SCHEMA IF EXISTS ${sf.database}.${sf.schema}_MARTS CASCADE`)
      .finally(() => session.close());

    // The DAG's own script, with its paths (it is a plain f-string).
    const dag = fs.readFileSync(
      path.join(dagsDir, 'dags/dbt_build.py'),
      'utf8',
    );
    const constant = (name: string) =>
      new RegExp(`^${name} = "([^"]+)"`, 'm').exec(dag)![1];
    const script = /^DBT_SCRIPT = f"""([\s\S]*?)"""/m
      .exec(dag)![1]
      .replace(/\{GIT_ROOT\}/g, constant('GIT_ROOT'))
      .replace(/\{WORK_DIR\}/g, constant('WORK_DIR'));
    expect(script).toContain('dbt build --target snowflake');
    // Freshness needs loaded data (the dbt Snowflake test covers the
    // project on a real load); everything before it runs here.
    const withoutFreshness = script.replace(/^dbt source freshness.*$/m, '');

    const environment: Record<string, string> = {
      ...(await dbtSnowflakeEnv(env, sf)),
      DBT_PROFILES_DIR: `${constant('WORK_DIR')}/repo/dbt`,
      DBT_THREADS: '1',
    };
    const output = await podman(
      env,
      [
        'run',
        '--rm',
        '--network=host',
        '-v',
        `${dagsDir}:${constant('GIT_ROOT')}/repo:ro`,
        '--tmpfs',
        `${constant('WORK_DIR')}:rw,mode=1777`,
        ...Object.keys(environment).flatMap(name => ['--env', name]),
        image,
        '/bin/sh',
        '-c',
        `${withoutFreshness}\ncat ${constant(
          'WORK_DIR',
        )}/repo/dbt/target/run_results.json`,
      ],
      { env: { ...process.env, ...environment } },
    );
    const results = JSON.parse(output.slice(output.lastIndexOf('\n{') + 1))
      .results as Array<{ unique_id: string; status: string }>;
    expect(results.length).toBeGreaterThan(3);
    expect(
      results.filter(r => !['success', 'pass'].includes(r.status)),
    ).toEqual([]);
    expect(results.some(r => r.unique_id.startsWith('model.'))).toBe(true);
  });
});
