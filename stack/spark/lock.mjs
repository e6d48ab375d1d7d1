// `lp-stack spark-lock`: rewrites -common's SPARK_JOB_JARS (the jars the Spark
// image downloads and the stack installs, checksummed) from Maven's
// resolution of SPARK_JOB_ARTIFACTS. Review the diff: a new jar or checksum
// is a change to what runs in the pipeline.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT, log } from '../lib/context.mjs';
import { resolveSparkJobJars } from '../components/spark.mjs';

const VERSIONS_TS = path.join(
  REPO_ROOT,
  'plugins/lambda-pipeline-common/src/versions/versions.ts',
);

/** The lock as TypeScript, between the markers of versions.ts. */
export function renderJarLock(jars) {
  const entries = jars
    .map(
      jar =>
        `  {\n    path: '${jar.path}',\n    sha256: '${jar.sha256}',\n  },`,
    )
    .join('\n');
  return `export const SPARK_JOB_JARS: readonly LockedJar[] = [\n${entries}\n];`;
}

export async function writeSparkJarLock() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lp-spark-lock-'));
  try {
    log('resolving SPARK_JOB_ARTIFACTS with Maven');
    const jars = resolveSparkJobJars(dir);
    const source = fs.readFileSync(VERSIONS_TS, 'utf8');
    const pattern =
      /export const SPARK_JOB_JARS: readonly LockedJar\[\] = \[[^]*?\];(?=\n\/\/ END SPARK_JOB_JARS)/;
    if (!pattern.test(source))
      throw new Error(
        `${VERSIONS_TS} has no SPARK_JOB_JARS block between its BEGIN/END markers`,
      );
    fs.writeFileSync(VERSIONS_TS, source.replace(pattern, renderJarLock(jars)));
    log(
      `${jars.length} jars locked in ${path.relative(REPO_ROOT, VERSIONS_TS)}`,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
