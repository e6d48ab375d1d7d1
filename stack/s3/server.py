"""Runs moto's server as the stack's S3 (started by stack/components/s3.mjs).

One difference from `moto_server`: a ListObjects (V1) answer lists the bucket
`<Name>` before the objects, as S3 itself does. moto writes the elements in
the order of botocore's shape (`<Contents>` first), and the AWS SDK for Java
v1, which the Snowflake JDBC driver embeds for stage transfers, gives each
listed object the bucket name it has seen *before* it: without this, a GET
onto an existing local file fails with "The bucket name parameter must be
specified".

    python server.py -H 127.0.0.1 -p 59000
"""

from __future__ import annotations

import re
import sys

_NAME = re.compile(rb"<Name>[^<]*</Name>")
_RESULT_OPEN = re.compile(rb"<ListBucketResult[^>]*>")


def name_first(body: bytes | str) -> bytes | str:
    """Moves <Name> right after <ListBucketResult ...>, where S3 puts it."""
    data = body.encode() if isinstance(body, str) else body
    name = _NAME.search(data)
    opening = _RESULT_OPEN.search(data)
    if not name or not opening or name.start() < opening.end():
        return body
    moved = data[: name.start()] + data[name.end() :]
    moved = moved[: opening.end()] + name.group(0) + moved[opening.end() :]
    return moved.decode() if isinstance(body, str) else moved


def main() -> None:
    from moto.s3.responses import S3Response
    from moto.server import main as moto_main

    list_objects = S3Response.list_objects

    def list_objects_name_first(self: S3Response):  # type: ignore[no-untyped-def]
        status, headers, body = list_objects(self)
        return status, headers, name_first(body)

    S3Response.list_objects = list_objects_name_first  # type: ignore[method-assign]
    moto_main(sys.argv[1:])


if __name__ == "__main__":
    main()
