import { DeleteObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { s3Client } from './support';

const CHECK_DIR = path.resolve(__dirname, '..', 's3', 's3a-check');
const CACHE = path.join(
  process.env.LP_CACHE ??
    path.join(
      process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'),
      'lambda-pipelines',
    ),
  'stack',
  's3a-client',
  '3.4.2',
);

/** Hadoop's S3A client jars from Maven Central, cached by version outside the repo. */
function s3aClasspath(): string {
  const lib = path.join(CACHE, 'lib');
  if (!fs.existsSync(path.join(CACHE, '.installed'))) {
    execFileSync(
      'mvn',
      [
        '-q',
        '-B',
        '-f',
        path.join(CHECK_DIR, 'pom.xml'),
        'dependency:copy-dependencies',
        `-DoutputDirectory=${lib}`,
        '-DincludeScope=runtime',
      ],
      { stdio: 'inherit', timeout: 600_000 },
    );
    fs.writeFileSync(path.join(CACHE, '.installed'), new Date().toISOString());
  }
  return `${lib}/*`;
}

describe('the object store through Hadoop S3A (the client Spark uses)', () => {
  const s3 = s3Client();
  afterAll(() => s3.destroy());

  it('writes (multipart, SSE-KMS), reads, lists and renames with S3AFileSystem', async () => {
    const prefix = `tests/s3a-${Date.now()}`;
    const output = execFileSync(
      'java',
      [
        '-cp',
        s3aClasspath(),
        path.join(CHECK_DIR, 'S3ACheck.java'),
        process.env.LP_S3_ENDPOINT!,
        process.env.LP_S3_REGION!,
        process.env.LP_S3_BUCKET!,
        process.env.LP_S3_KMS_KEY_ID!,
        prefix,
      ],
      { encoding: 'utf8', timeout: 300_000, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const result = JSON.parse(output.trim().split('\n').pop()!);
    expect(result).toEqual({
      key: `${prefix}/renamed.bin`,
      length: 12 * 1024 * 1024,
      listed: 1,
    });

    // Another client sees the object S3A wrote, encrypted with the KMS key.
    const head = await s3.send(
      new HeadObjectCommand({
        Bucket: process.env.LP_S3_BUCKET,
        Key: result.key,
      }),
    );
    expect(head.ContentLength).toBe(12 * 1024 * 1024);
    expect(head.ServerSideEncryption).toBe('aws:kms');
    await s3.send(
      new DeleteObjectCommand({
        Bucket: process.env.LP_S3_BUCKET,
        Key: result.key,
      }),
    );
  });
});
