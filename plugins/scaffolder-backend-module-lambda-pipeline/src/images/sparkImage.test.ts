import { spawnSync } from 'child_process';
import fs from 'fs';
import http from 'http';
import { AddressInfo } from 'net';
import path from 'path';
import { Kafka, logLevel } from 'kafkajs';
import { stackModulePath } from '@internal/backstage-plugin-lambda-pipeline-node/testUtils';
import {
  RenderResult,
  startPipelineRenderBackend,
} from '../__testUtils__/render';
import { clickhouse, stackUp } from '../__testUtils__/stack';
import { buildImage, podman as runPodman } from '../__testUtils__/podman';
import {
  createClickHouseTables,
  resetTopics,
  speedJobArgs,
} from '../__testUtils__/pipelineRun';
import {
  JobsTable,
  changeEvents,
  isolated,
  renderedPlatform,
} from '../__testUtils__/changeEvents';
import { variants } from '../template/formVariants';

jest.setTimeout(30 * 60_000);

/**
 * The generated Spark image as scripts/up.sh builds it (images/spark/
 * Dockerfile, the repository's root as context), on podman, from the stack's
 * stand-in for the official Spark image; then the speed job run inside it
 * through the image's own entry point (`driver`, as the operator starts the
 * driver pod) against the stack's Kafka, ClickHouse and S3. The jars come
 * from a Maven mirror the test serves from the stack's copies, so the build's
 * checksum check runs on the very bytes Maven Central served.
 */
describe('the Spark image (images/spark/Dockerfile), built and run', () => {
  let env: Record<string, string>;
  let result: RenderResult;
  let platformDir: string;
  let jobs: any;
  let mirror: http.Server;
  let mirrorUrl: string;
  const requested: string[] = [];
  const image = `localhost/lp-test-spark:${process.pid}`;

  const podman = (args: string[], options = {}) =>
    runPodman(env, args, options);

  beforeAll(async () => {
    env = stackUp([
      'kafka',
      'clickhouse',
      's3',
      'spark',
      'podman',
      'base-images',
    ]);
    const backend = await startPipelineRenderBackend();
    try {
      result = await backend.render(
        isolated(
          variants['one table, local, JDBC, Iceberg, local DAG repo'],
          'im',
        ),
      );
    } finally {
      await backend.stop();
    }
    const rendered = renderedPlatform(result);
    platformDir = path.join(rendered.dir, 'platform');
    jobs = rendered.jobs;

    // A Maven repository with the stack's jars (the same files Maven
    // resolved from Central), by repository path.
    const jarsByName = new Map(
      env.LP_SPARK_JARS.split(',').map(jar => [path.basename(jar), jar]),
    );
    mirror = http.createServer((req, res) => {
      const file = jarsByName.get(path.posix.basename(req.url ?? ''));
      requested.push(req.url ?? '');
      if (!file) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-length': fs.statSync(file).size });
      fs.createReadStream(file).pipe(res);
    });
    await new Promise<void>(resolve =>
      mirror.listen(0, '127.0.0.1', () => resolve()),
    );
    mirrorUrl = `http://127.0.0.1:${(mirror.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise(resolve => mirror?.close(resolve));
    if (env?.LP_PODMAN)
      spawnSync(env.LP_PODMAN, ['rmi', '-f', image], { encoding: 'utf8' });
    if (platformDir)
      fs.rmSync(path.dirname(platformDir), { recursive: true, force: true });
  });

  it('builds from the repository root, with every locked jar checked and only images/ and jobs/ in the context', async () => {
    // Something the .dockerignore must keep out of the image.
    fs.mkdirSync(path.join(platformDir, 'secrets'), { recursive: true });
    fs.writeFileSync(path.join(platformDir, 'secrets/password'), 'hunter2');
    await buildImage(env, {
      dockerfile: path.join(platformDir, 'images/spark/Dockerfile'),
      context: platformDir,
      tag: image,
      buildArgs: {
        SPARK_BASE: env.LP_SPARK_BASE_IMAGE,
        MAVEN_REPOSITORY: mirrorUrl,
      },
    });

    const lock = fs
      .readFileSync(path.join(platformDir, 'images/spark/jars.lock'), 'utf8')
      .split('\n')
      .filter(line => line && !line.startsWith('#'))
      .map(line => line.split(/\s+/)[1]);
    expect(lock.length).toBeGreaterThan(5);
    // Each locked jar was fetched once, by its repository path.
    expect([...requested].sort()).toEqual(lock.map(p => `/${p}`).sort());

    const inside = (script: string) =>
      podman(['run', '--rm', '--network=host', image, 'bash', '-c', script]);
    const jars = (await inside('ls /opt/spark/jars')).split('\n');
    for (const jar of lock) expect(jars).toContain(path.posix.basename(jar));
    expect((await inside('ls /opt/spark/work-dir/jobs')).split('\n')).toEqual(
      expect.arrayContaining(['speed_job.py', 'batch_job.py', 'pipeline.json']),
    );
    expect(
      await inside(
        'find / -xdev -name password -path "*secrets*" 2>/dev/null | wc -l',
      ),
    ).toBe('0\n');
    // The jobs' Python packages, importable by the image's Python; the jobs
    // run as the base image's user spark, by number.
    expect(
      (
        await inside(
          'python3 -c "import cryptography, cffi, lpjobs; print(cryptography.__version__)"',
        )
      ).trim(),
    ).toBe(
      fs
        .readFileSync(
          path.join(platformDir, 'images/spark/requirements.txt'),
          'utf8',
        )
        .match(/^cryptography==(\S+)$/m)![1],
    );
    expect(
      (
        await podman([
          'image',
          'inspect',
          '--format',
          '{{.Config.User}}',
          image,
        ])
      ).trim(),
    ).toBe('185');
  });

  it('runs the speed job through its entry point, as the operator runs the driver, into ClickHouse', async () => {
    const tables: JobsTable[] = jobs.tables;
    await createClickHouseTables(env, platformDir, tables);
    const kafka = new Kafka({
      brokers: [env.LP_KAFKA_BROKERS],
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    await resetTopics(admin, [
      ...tables.map(t => ({ topic: t.topic, numPartitions: 2 })),
      { topic: jobs.kafka.deadLetterTopic, numPartitions: 1 },
    ]);
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    const lsn = { next: 2_000_000 };
    const live = new Map<string, number>();
    for (const table of tables) {
      const e = changeEvents(table, 120, lsn);
      live.set(table.clickhouseTable, e.live);
      await producer.send({ topic: table.topic, messages: e.events });
    }
    await producer.disconnect();

    const { stackSparkConf, stackJobCredentials } = await import(
      stackModulePath('pipeline/spark.mjs')
    );
    const environment = {
      ...stackJobCredentials(env),
      SPARK_DRIVER_BIND_ADDRESS: '127.0.0.1',
    };
    const jobsDir = '/opt/spark/work-dir/jobs';
    const args = [
      'run',
      '--rm',
      '--network=host',
      ...Object.keys(environment).flatMap(name => ['--env', name]),
      image,
      'driver',
      '--master',
      'local[2]',
      ...Object.entries(stackSparkConf(env) as Record<string, string>).flatMap(
        ([k, v]) => ['--conf', `${k}=${v}`],
      ),
      `local://${jobsDir}/speed_job.py`,
      '--config',
      `${jobsDir}/pipeline.json`,
      ...speedJobArgs(env, `image-${Date.now()}`),
    ];
    // Credentials by name only: their values never reach the command line.
    expect(args.filter(a => a.includes('SECRET_ACCESS_KEY'))).toEqual([
      'AWS_SECRET_ACCESS_KEY',
    ]);
    await podman(args, { env: { ...process.env, ...environment } });
    for (const table of tables) {
      const rows = await clickhouse(
        env,
        `SELECT count() FROM ${table.clickhouseTable} FINAL`,
      );
      expect({ table: table.clickhouseTable, rows: Number(rows) }).toEqual({
        table: table.clickhouseTable,
        rows: live.get(table.clickhouseTable),
      });
    }
  });
});
