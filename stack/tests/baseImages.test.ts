import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { VERSIONS } from '../../plugins/lambda-pipeline-common/src/versions/versions';

const run = promisify(execFile);

/**
 * The stand-ins for upstream base images (stack/images/*), against the
 * contracts of the images they stand for: what the generated Dockerfiles and
 * the Spark operator rely on.
 */
describe('base image stand-ins', () => {
  const podman = process.env.LP_PODMAN!;
  const spark = process.env.LP_SPARK_BASE_IMAGE!;
  const python = process.env.LP_PYTHON_BASE_IMAGE!;

  /** `podman run --rm` with the arguments; its stdout and stderr together. */
  async function container(args: string[], timeout = 300_000) {
    const { stdout, stderr } = await run(podman, ['run', '--rm', ...args], {
      timeout,
      maxBuffer: 32 * 1024 * 1024,
    });
    return `${stdout}${stderr}`;
  }

  it("spark: the official image's layout (SPARK_HOME, jars, Python zips, work-dir), Java 17, Python with pip, user spark (185)", async () => {
    const out = await container([
      spark,
      'bash',
      '-c',
      [
        'echo "uid=$(id -u) gid=$(id -g) user=$(id -un)"',
        'echo "home=$SPARK_HOME java_home=$JAVA_HOME pwd=$(pwd)"',
        '"$JAVA_HOME/bin/java" -version 2>&1 | head -n 1',
        'python3 -m pip --version | cut -d" " -f1',
        'ls /opt/spark/jars | grep -E "^spark-(core|kubernetes)_2.12-"',
        'ls /opt/spark/python/lib',
        'test -g /opt/spark/work-dir -o -w /opt/spark/work-dir && echo work-dir-writable',
        'test -x /opt/spark/bin/spark-submit && echo spark-submit',
        'test -x /usr/bin/tini && echo tini',
      ].join('; '),
    ]);
    const version = VERSIONS.spark.version;
    expect(out).toContain('uid=185 gid=185 user=spark');
    expect(out).toContain(
      'home=/opt/spark java_home=/opt/java/openjdk pwd=/opt/spark/work-dir',
    );
    expect(out).toMatch(/^openjdk version "17\./m);
    expect(out).toMatch(/^pip$/m);
    expect(out).toContain(`spark-core_2.12-${version}.jar`);
    expect(out).toContain(`spark-kubernetes_2.12-${version}.jar`);
    expect(out).toMatch(/^py4j-[\d.]+-src\.zip$/m);
    expect(out).toMatch(/^pyspark\.zip$/m);
    for (const line of ['work-dir-writable', 'spark-submit', 'tini'])
      expect(out).toMatch(new RegExp(`^${line}$`, 'm'));
    const entrypoint = JSON.parse(
      execFileSync(
        podman,
        ['image', 'inspect', '--format', '{{json .Config.Entrypoint}}', spark],
        { encoding: 'utf8' },
      ),
    );
    expect(entrypoint).toEqual(['/opt/entrypoint.sh']);
  });

  it("spark: `driver` runs spark-submit in client mode on the driver's bind address, as user spark even when started as root", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lp-driver-'));
    try {
      fs.writeFileSync(
        path.join(dir, 'job.py'),
        [
          'import os',
          'from pyspark.sql import SparkSession',
          'spark = SparkSession.builder.getOrCreate()',
          'conf = spark.sparkContext.getConf()',
          'total = spark.range(1, 1001).selectExpr("sum(id) AS s").first()["s"]',
          'print(f"RESULT uid={os.getuid()} sum={total} version={spark.version} ' +
            "bind={conf.get('spark.driver.bindAddress')} mode={conf.get('spark.submit.deployMode')}\", flush=True)",
          'spark.stop()',
        ].join('\n'),
      );
      fs.chmodSync(dir, 0o755);
      const out = await container([
        '--user',
        '0',
        '-e',
        'SPARK_DRIVER_BIND_ADDRESS=127.0.0.1',
        '-v',
        `${dir}:/job:ro`,
        spark,
        'driver',
        '--master',
        'local[1]',
        '--conf',
        'spark.ui.enabled=false',
        'local:///job/job.py',
      ]);
      expect(out).toContain(
        `RESULT uid=185 sum=500500 version=${VERSIONS.spark.version} bind=127.0.0.1 mode=client`,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('spark: `executor` starts the Kubernetes executor backend, which calls the driver URL it is given', async () => {
    // A driver stand-in: whatever connects to it is the executor.
    const server = net.createServer();
    const connected = new Promise<void>(resolve => {
      server.once('connection', socket => {
        socket.destroy();
        resolve();
      });
    });
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    const name = `lp-executor-contract-${process.pid}`;
    try {
      execFileSync(podman, [
        'run',
        '-d',
        '--name',
        name,
        ...[
          'SPARK_EXECUTOR_MEMORY=512m',
          `SPARK_DRIVER_URL=spark://CoarseGrainedScheduler@127.0.0.1:${port}`,
          'SPARK_EXECUTOR_ID=1',
          'SPARK_EXECUTOR_CORES=1',
          'SPARK_APPLICATION_ID=spark-contract',
          'SPARK_EXECUTOR_POD_IP=127.0.0.1',
          'SPARK_RESOURCE_PROFILE_ID=0',
          'SPARK_EXECUTOR_POD_NAME=contract-exec-1',
        ].flatMap(variable => ['-e', variable]),
        spark,
        'executor',
      ]);
      await Promise.race([
        connected,
        new Promise((_, reject) =>
          setTimeout(
            () => reject(new Error('the executor never called the driver')),
            120_000,
          ),
        ),
      ]);
      const logs = await run(podman, ['logs', name]);
      expect(`${logs.stdout}${logs.stderr}`).toContain(
        'KubernetesExecutorBackend: Started daemon',
      );
    } finally {
      server.close();
      execFileSync(podman, ['rm', '-f', '-t', '0', name], { stdio: 'ignore' });
    }
  });

  it('spark: a UID without a passwd entry (runAsUser) gets the name spark through nss_wrapper', async () => {
    // --passwd=false: podman would otherwise add an entry, as Kubernetes does not.
    const out = await container([
      '--passwd=false',
      '--user',
      '4321',
      spark,
      'bash',
      '-c',
      'echo "$(id -u) $(whoami)"',
    ]);
    expect(out.trim()).toBe('4321 spark');
  });

  it('python: Python 3.11 as python and python3, pip and pip3 installing into it as root, LANG=C.UTF-8, CMD python3', async () => {
    const out = await container([
      python,
      'sh',
      '-c',
      [
        'python --version',
        'python3 --version',
        'pip --version | cut -d" " -f1',
        'pip3 --version | cut -d" " -f1',
        'echo "lang=$LANG uid=$(id -u)"',
        'pip install --quiet --no-deps --disable-pip-version-check six==1.17.0',
        'python -c "import six; print(\'six\', six.__version__)"',
      ].join(' && '),
    ]);
    expect(out).toMatch(/^Python 3\.11\.\d+\nPython 3\.11\.\d+\npip\npip\n/);
    expect(out).toContain('lang=C.UTF-8 uid=0');
    expect(out).toContain('six 1.17.0');
    const cmd = JSON.parse(
      execFileSync(
        podman,
        ['image', 'inspect', '--format', '{{json .Config.Cmd}}', python],
        { encoding: 'utf8' },
      ),
    );
    expect(cmd).toEqual(['python3']);
  });
});
