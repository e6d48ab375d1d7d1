import {
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { s3Client } from './support';
import { Upload } from '@aws-sdk/lib-storage';

describe('S3 with KMS through the AWS SDK v3', () => {
  const bucket = process.env.LP_S3_BUCKET!;
  const kmsKeyId = process.env.LP_S3_KMS_KEY_ID!;
  const s3 = s3Client();
  const prefix = `tests/${Date.now()}`;

  afterAll(() => s3.destroy());

  it('puts and gets an object with SSE-KMS', async () => {
    const key = `${prefix}/hello.json`;
    const put = await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: JSON.stringify({ hello: 'lake' }),
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: kmsKeyId,
      }),
    );
    expect(put.ServerSideEncryption).toBe('aws:kms');

    const head = await s3.send(
      new HeadObjectCommand({ Bucket: bucket, Key: key }),
    );
    expect(head.ServerSideEncryption).toBe('aws:kms');
    expect(head.SSEKMSKeyId).toBeDefined();

    const got = await s3.send(
      new GetObjectCommand({ Bucket: bucket, Key: key }),
    );
    expect(JSON.parse(await got.Body!.transformToString())).toEqual({
      hello: 'lake',
    });
  });

  it('uploads a 12 MiB object in parts (multipart upload) with SSE-KMS', async () => {
    const key = `${prefix}/big.bin`;
    const body = Buffer.alloc(12 * 1024 * 1024);
    for (let i = 0; i < body.length; i += 4096) body.writeUInt32BE(i, i);
    const parts: number[] = [];
    const upload = new Upload({
      client: s3,
      partSize: 5 * 1024 * 1024,
      params: {
        Bucket: bucket,
        Key: key,
        Body: body,
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: kmsKeyId,
      },
    });
    upload.on('httpUploadProgress', progress => parts.push(progress.part ?? 0));
    await upload.done();
    expect(Math.max(...parts)).toBe(3);

    const got = await s3.send(
      new GetObjectCommand({ Bucket: bucket, Key: key }),
    );
    const bytes = Buffer.from(await got.Body!.transformToByteArray());
    expect(bytes.length).toBe(body.length);
    expect(bytes.equals(body)).toBe(true);
    expect(got.ETag).toMatch(/-3"$/);
  });

  it('returns the SDK’s normal error for a missing object', async () => {
    await expect(
      s3.send(
        new GetObjectCommand({ Bucket: bucket, Key: `${prefix}/missing` }),
      ),
    ).rejects.toMatchObject({ name: 'NoSuchKey' });
  });
});
