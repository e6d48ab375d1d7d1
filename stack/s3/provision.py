"""Creates the stack's bucket (SSE-S3 by default) and KMS key in the S3/KMS emulator (idempotent).

usage: provision.py ENDPOINT REGION BUCKET KMS_ALIAS
The key id is printed for people running it by hand.
"""
import sys

import boto3


def main() -> None:
    endpoint, region, bucket, alias = sys.argv[1:5]
    session = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name=region)
    s3 = session.client("s3", endpoint_url=endpoint)
    kms = session.client("kms", endpoint_url=endpoint)
    if bucket not in [b["Name"] for b in s3.list_buckets().get("Buckets", [])]:
        s3.create_bucket(Bucket=bucket)
    aliases = {a["AliasName"]: a.get("TargetKeyId") for a in kms.list_aliases()["Aliases"]}
    key_id = aliases.get(alias)
    if not key_id:
        key_id = kms.create_key(Description="lambda-pipelines local stack")["KeyMetadata"]["KeyId"]
        kms.create_alias(AliasName=alias, TargetKeyId=key_id)
    # Objects written without encryption headers are encrypted with S3-managed
    # keys (SSE-S3) by default. Spark 3.5's S3A (AWS SDK v1) can send no
    # SSE-KMS header over http, not even when it copies a KMS-encrypted
    # object (a checkpoint rename), so its objects take the bucket default;
    # the lake's data files (Iceberg's S3FileIO, the sink) ask for the KMS key.
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]},
    )
    print(key_id)


if __name__ == "__main__":
    main()
