import { DeleteObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { s3Client } from './support';

const CHECK_DIR = path.resolve(__dirname, '..', 's3', 's3a-check');

/** The classpath of the Spark jobs: pyspark's own jars (Hadoop 3.3.4) and the stack's connector jars (hadoop-aws, AWS SDK v1). */
function sparkClasspath(): string {
  const pyspark = execFileSync(
    process.env.LP_SPARK_PYTHON!,
    ['-c', 'import os, pyspark; print(os.path.dirname(pyspark.__file__))'],
    { encoding: 'utf8' },
  ).trim();
  return [
    path.join(pyspark, 'jars', '*'),
    ...process.env.LP_SPARK_JARS!.split(','),
  ].join(path.delimiter);
}

describe("the object store through Hadoop S3A, on the Spark jobs' own classpath", () => {
  const s3 = s3Client();
  afterAll(() => s3.destroy());

  it("writes (multipart), reads, lists and renames with S3AFileSystem; the bucket's default encryption applies", async () => {
    const prefix = `tests/s3a-${Date.now()}`;
    const output = execFileSync(
      'java',
      [
        '-cp',
        sparkClasspath(),
        path.join(CHECK_DIR, 'S3ACheck.java'),
        process.env.LP_S3_ENDPOINT!,
        process.env.LP_S3_REGION!,
        process.env.LP_S3_BUCKET!,
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
    expect(head.ServerSideEncryption).toBe('AES256');
    await s3.send(
      new DeleteObjectCommand({
        Bucket: process.env.LP_S3_BUCKET,
        Key: result.key,
      }),
    );
  });
});
