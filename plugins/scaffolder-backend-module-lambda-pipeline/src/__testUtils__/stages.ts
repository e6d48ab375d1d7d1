import {
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';

/** A file of a Snowflake internal stage, as the stack's S3 holds it. */
export type StagedObject = {
  key: string;
  size: number;
  /** Snowflake's client-side encryption (wrapped file key and IV) is on the object. */
  encrypted: boolean;
};

/**
 * The objects under `prefix` in the bucket where the stack's Snowflake
 * emulator keeps its internal stages (`LP_SNOWFLAKE_STAGE_BUCKET`), with
 * whether each carries the client-side encryption metadata.
 */
export async function stagedObjects(
  env: Record<string, string>,
  prefix: string,
): Promise<StagedObject[]> {
  const s3 = new S3Client({
    endpoint: env.LP_S3_ENDPOINT,
    region: env.LP_S3_REGION,
    forcePathStyle: true,
    credentials: {
      accessKeyId: env.LP_S3_ACCESS_KEY_ID,
      secretAccessKey: env.LP_S3_SECRET_ACCESS_KEY,
    },
  });
  try {
    const Bucket = env.LP_SNOWFLAKE_STAGE_BUCKET;
    const listed = await s3
      .send(new ListObjectsV2Command({ Bucket, Prefix: prefix }))
      .catch(error => {
        if ((error as { name?: string }).name === 'NoSuchBucket')
          return { Contents: [] };
        throw error;
      });
    const out: StagedObject[] = [];
    for (const o of listed.Contents ?? []) {
      const head = await s3
        .send(new HeadObjectCommand({ Bucket, Key: o.Key }))
        .catch(error => {
          // deleted between the listing and now
          if ((error as { name?: string }).name === 'NotFound') return null;
          throw error;
        });
      if (!head) continue;
      out.push({
        key: o.Key!,
        size: o.Size ?? 0,
        encrypted: Boolean(
          head.Metadata?.['x-amz-key'] && head.Metadata?.['x-amz-iv'],
        ),
      });
    }
    return out;
  } finally {
    s3.destroy();
  }
}
