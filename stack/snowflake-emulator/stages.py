"""Internal stages whose files live in the S3 stand-in, as Snowflake's do in S3.

fakesnow keeps an internal stage as a directory of the engine's machine and
tells a PUT to upload over HTTP to itself. Snowflake instead answers a PUT or
GET with the location of the stage in its cloud storage, temporary
credentials and a master key; the client (the JDBC driver, or the Spark
connector's own S3 client) moves the bytes to and from S3 itself, encrypting
them client-side. This module makes the emulator answer the same way, with
the stack's S3 (moto) as the cloud storage, so the official clients run
unchanged:

* PUT answers ``command: UPLOAD`` with ``stageInfo`` of type S3 (location
  ``<bucket>/<prefix>/<DB>/<SCHEMA>/<STAGE>/<path>``, the endpoint as an
  ``http://<IPv4>:<port>`` URL, which makes the AWS SDK v1 address the bucket
  path-style, a real region and the five credential keys the driver and the
  connector read) and a 128-bit ``encryptionMaterial``;
* GET answers ``command: DOWNLOAD`` with the stage's objects and one key per
  encrypted object;
* LIST, COPY INTO and the other readers of a stage first pull its objects
  from S3 into fakesnow's directory (decrypting what was encrypted, as
  Snowflake decrypts on load), so DuckDB reads exactly what is in S3;
* REMOVE and DROP STAGE delete the objects in S3; COPY's PURGE does too;
* a temporary stage is dropped, objects included, when the session that
  created it ends.

One exception: snowflake-connector-python's S3 client only speaks https to
virtual-hosted buckets (`https://<bucket>.<endPoint>`), which an http S3
stand-in cannot serve. Its PUT therefore gets fakesnow's own answers, and the
emulator stores the file in the stage's S3 location on its behalf: a
presigned URL on the emulator itself, or, for a PUT whose stage name is a
bind (write_pandas), fakesnow's local stage directory, which the emulator
shares with a client on the same machine and moves into S3 before the next
read.

The master key is kept in the database directory (``stage-master-key``), so
files staged before a restart can still be loaded.
"""

from __future__ import annotations

import base64
import contextvars
import gzip
import json
import logging
import os
import re
import secrets
import shutil
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Callable

log = logging.getLogger("fakesnow.stages")

# Driver-side "file://" path of a PUT/GET: up to a blank or ';', or quoted.
_FILE_URL = re.compile(r"'file://((?:[^'\\]|\\.)*)'|file://([^\s;]+)", re.IGNORECASE)
_GET = re.compile(r"^\s*GET\s+(\S+)\s+", re.IGNORECASE)
_REMOVE = re.compile(r"^\s*(?:REMOVE|RM)\s+(\S+)(?:\s+PATTERN\s*=\s*'((?:[^']|'')*)')?\s*;?\s*$", re.IGNORECASE)
_DROP_STAGE = re.compile(r"^\s*DROP\s+STAGE\s+(IF\s+EXISTS\s+)?(.+?)\s*;?\s*$", re.IGNORECASE | re.DOTALL)
_CREATE_TEMP_STAGE = re.compile(
    r"^\s*CREATE\s+(?:OR\s+REPLACE\s+)?TEMP(?:ORARY)?\s+STAGE\s+(?:IF\s+NOT\s+EXISTS\s+)?(.+?)(?:\s|;|$)",
    re.IGNORECASE,
)
_OVERWRITE = re.compile(r"\bOVERWRITE\s*=\s*TRUE\b", re.IGNORECASE)
_PARALLEL = re.compile(r"\bPARALLEL\s*=\s*(\d+)", re.IGNORECASE)

SMK_ID = 1
KEY_BYTES = 16  # 128-bit: the driver encrypts itself (256 would switch it to the SDK's legacy encryption client)

# The statement of the request being handled, for the PUT answer built deep inside fakesnow.
current_sql: contextvars.ContextVar[str] = contextvars.ContextVar("current_sql", default="")
# The CLIENT_APP_ID of the session making the request (JDBC, PythonConnector, ...).
current_client: contextvars.ContextVar[str] = contextvars.ContextVar("current_client", default="")
PYTHON_CONNECTOR = "PythonConnector"


def local_file_path(sql: str) -> str | None:
    """The local path of a PUT/GET exactly as the driver reads it from the statement."""
    m = _FILE_URL.search(sql)
    if not m:
        return None
    if m.group(1) is not None:
        return m.group(1).replace("\\\\", "\\")
    return m.group(2)


def _unpad(data: bytes) -> bytes:
    from cryptography.hazmat.primitives import padding

    unpadder = padding.PKCS7(128).unpadder()
    return unpadder.update(data) + unpadder.finalize()


def _aes(key: bytes, mode: Any) -> Any:
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms

    return Cipher(algorithms.AES(key), mode).decryptor()


def decrypt(body: bytes, metadata: dict[str, str], master_key: bytes) -> bytes:
    """Snowflake's client-side encryption: a file key wrapped (AES-ECB) under the master key, data in AES-CBC."""
    from cryptography.hazmat.primitives.ciphers import modes

    wrapped = base64.b64decode(metadata["x-amz-key"])
    iv = base64.b64decode(metadata["x-amz-iv"])
    ecb = _aes(master_key, modes.ECB())
    file_key = _unpad(ecb.update(wrapped) + ecb.finalize())
    cbc = _aes(file_key, modes.CBC(iv))
    return _unpad(cbc.update(body) + cbc.finalize())


@dataclass
class StageStorage:
    """Where stage files live: a bucket and prefix of an S3-compatible store."""

    endpoint: str
    region: str
    bucket: str
    prefix: str
    access_key: str
    secret_key: str
    master_key: bytes
    local_root: str  # fakesnow's directory of internal stages (LOCAL_BUCKET_PATH)

    def __post_init__(self) -> None:
        self._client: Any = None
        self._lock = threading.Lock()
        # object key -> ETag of the copy in local_root, so unchanged files are not fetched again
        self._pulled: dict[str, str] = {}
        self._bucket_ready = False

    # ------------------------------------------------------------------ S3

    def client(self) -> Any:
        with self._lock:
            if self._client is None:
                import boto3
                from botocore.config import Config

                self._client = boto3.client(
                    "s3",
                    endpoint_url=self.endpoint,
                    region_name=self.region,
                    aws_access_key_id=self.access_key,
                    aws_secret_access_key=self.secret_key,
                    config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3}),
                )
            return self._client

    def ensure_bucket_once(self) -> None:
        if not self._bucket_ready:
            self.ensure_bucket()

    def ensure_bucket(self) -> None:
        """The stage bucket exists (the S3 stand-in keeps objects in memory, so it may have restarted empty)."""
        s3 = self.client()
        try:
            s3.head_bucket(Bucket=self.bucket)
        except Exception:  # noqa: BLE001 - any miss: create it, which fails loudly if S3 is down
            s3.create_bucket(Bucket=self.bucket)
        self._bucket_ready = True

    def objects(self, key_prefix: str) -> list[dict[str, Any]]:
        s3 = self.client()
        out: list[dict[str, Any]] = []
        try:
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=key_prefix):
                out.extend(page.get("Contents", []))
        except s3.exceptions.NoSuchBucket:
            self._bucket_ready = False  # the S3 stand-in restarted empty: nothing is staged
        return out

    def delete(self, keys: list[str]) -> None:
        s3 = self.client()
        for start in range(0, len(keys), 1000):
            batch = [{"Key": k} for k in keys[start : start + 1000]]
            if batch:
                s3.delete_objects(Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True})
        for key in keys:
            self._pulled.pop(key, None)

    # ------------------------------------------------------------------ naming

    def key_of(self, local_path: str) -> str:
        """S3 key of a path under local_root (a trailing '/' is kept for directories)."""
        relative = os.path.relpath(local_path, self.local_root).replace(os.sep, "/")
        if relative == "." or relative.startswith(".."):
            raise ValueError(f"{local_path} is not inside the stage directory {self.local_root}")
        suffix = "/" if local_path.endswith("/") else ""
        return f"{self.prefix}/{relative}{suffix}"

    def local_of(self, key: str) -> str:
        relative = key[len(self.prefix) + 1 :]
        path = os.path.normpath(os.path.join(self.local_root, relative))
        if not path.startswith(self.local_root + os.sep):
            raise ValueError(f"object {key} lies outside the stage directory")
        return path

    # ------------------------------------------------------------------ protocol answers

    def stage_info(self, location_key: str) -> dict[str, Any]:
        """`stageInfo` of an S3 stage as the JDBC driver and the Spark connector read it."""
        credentials = {
            # the driver's names
            "AWS_KEY_ID": self.access_key,
            "AWS_SECRET_KEY": self.secret_key,
            "AWS_TOKEN": "emulator-session-token",
            # the Spark connector's own S3 client reads these (a missing one is a NullPointerException there)
            "AWS_ID": self.access_key,
            "AWS_KEY": self.secret_key,
        }
        return {
            "locationType": "S3",
            "location": f"{self.bucket}/{location_key}",
            "path": location_key,
            "region": self.region,
            # an IPv4 literal: the AWS SDK v1 then addresses the bucket path-style
            "endPoint": self.endpoint,
            "isClientSideEncrypted": True,
            "useS3RegionalUrl": False,
            "useRegionalUrl": False,
            "storageAccount": None,
            "presignedUrl": None,
            "creds": credentials,
        }

    def encryption_material(self, query_id: str) -> dict[str, Any]:
        return {
            "queryStageMasterKey": base64.b64encode(self.master_key).decode(),
            "queryId": query_id,
            "smkId": SMK_ID,
        }

    # ------------------------------------------------------------------ sync

    def pull(self, local_dir: str) -> None:
        """Makes the stage directory hold exactly the objects S3 holds under it, decrypted."""
        self.ensure_bucket_once()
        key_prefix = self.key_of(local_dir if local_dir.endswith("/") else local_dir + "/")
        present: set[str] = set()
        s3 = self.client()
        for obj in self.objects(key_prefix):
            key, etag = obj["Key"], obj["ETag"]
            path = self.local_of(key)
            present.add(path)
            if self._pulled.get(key) == etag and os.path.exists(path):
                continue
            response = s3.get_object(Bucket=self.bucket, Key=key)
            body = response["Body"].read()
            metadata = {k.lower(): v for k, v in (response.get("Metadata") or {}).items()}
            if "x-amz-key" in metadata and "x-amz-iv" in metadata:
                body = decrypt(body, metadata, self.master_key)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            partial = f"{path}.part-{uuid.uuid4().hex}"
            with open(partial, "wb") as f:
                f.write(body)
            os.replace(partial, path)
            self._pulled[key] = etag
        root = Path(local_dir)
        if root.is_dir():
            for path in root.rglob("*"):
                if not path.is_file() or str(path) in present or ".part-" in path.name:
                    continue
                key = self.key_of(str(path))
                if key in self._pulled:
                    # gone from S3 (removed, or S3 restarted empty): gone from the stage
                    del self._pulled[key]
                    path.unlink()
                else:
                    # written here by a client on this machine (a PUT fakesnow answers with its
                    # local directory: the Python connector's, with a bound stage name): into S3
                    self.put_file(str(path))

    def download_listing(self, local_dir: str) -> tuple[str, list[str], list[dict[str, Any] | None]]:
        """For GET: the location key, the objects relative to it, and the key of each encrypted one."""
        self.ensure_bucket_once()
        location_key = self.key_of(local_dir if local_dir.endswith("/") else local_dir + "/")
        s3 = self.client()
        names: list[str] = []
        materials: list[dict[str, Any] | None] = []
        for obj in self.objects(location_key):
            names.append(obj["Key"][len(location_key) :])
            head = s3.head_object(Bucket=self.bucket, Key=obj["Key"])
            metadata = {k.lower(): v for k, v in (head.get("Metadata") or {}).items()}
            encrypted = "x-amz-key" in metadata
            materials.append(self.encryption_material(str(uuid.uuid4())) if encrypted else None)
        return location_key, names, materials

    def put_file(self, local_path: str) -> None:
        """Stores a file written into a stage directory at its S3 location (uploads made through the emulator)."""
        self.ensure_bucket_once()
        key = self.key_of(local_path)
        with open(local_path, "rb") as f:
            response = self.client().put_object(Bucket=self.bucket, Key=key, Body=f)
        self._pulled[key] = response["ETag"]

    def remove_files(self, local_dir: str, pattern: str | None) -> list[str]:
        """REMOVE: deletes the objects under a stage path (matching PATTERN); returns their keys relative to the stage root."""
        key_prefix = self.key_of(local_dir)
        regex = re.compile(pattern) if pattern else None
        keys = []
        for obj in self.objects(key_prefix):
            if regex is None or regex.fullmatch(obj["Key"][len(key_prefix) :]) or regex.fullmatch(obj["Key"]):
                keys.append(obj["Key"])
        self.delete(keys)
        for key in keys:
            try:
                os.remove(self.local_of(key))
            except FileNotFoundError:
                pass
        return keys

    def drop(self, stage_root: str) -> int:
        """Deletes every object of a stage and its local copy."""
        key_prefix = self.key_of(stage_root if stage_root.endswith("/") else stage_root + "/")
        keys = [obj["Key"] for obj in self.objects(key_prefix)]
        self.delete(keys)
        shutil.rmtree(stage_root, ignore_errors=True)
        return len(keys)


def master_key(db_path: str | None) -> bytes:
    """The stage master key: kept beside the databases, so staged files outlive a restart."""
    if not db_path:
        return secrets.token_bytes(KEY_BYTES)
    path = Path(db_path) / "stage-master-key"
    if path.exists():
        key = bytes.fromhex(path.read_text().strip())
        if len(key) == KEY_BYTES:
            return key
    key = secrets.token_bytes(KEY_BYTES)
    path.write_text(key.hex())
    path.chmod(0o600)
    return key


# ====================================================================== fakesnow wiring


def install(storage: StageStorage, front_url: str | None = None) -> None:
    """Routes fakesnow's stage handling through `storage` (call before the server starts).

    `front_url` is where clients reach the emulator (its TypeScript front),
    for the presigned upload URLs handed to snowflake-connector-python.
    """
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    import fakesnow.copy_into as fs_copy
    import fakesnow.server as fs_server
    from fakesnow.transforms import stage as fs_stage

    presigned_stage_info = fs_server.gcs_stage_info

    # -- PUT: an S3 location instead of fakesnow's upload-to-myself GCS answer
    def s3_stage_info(request: Request, expr: Any, put_stage_data: dict[str, Any]) -> dict[str, Any]:
        if current_client.get() == PYTHON_CONNECTOR:
            info = presigned_stage_info(request, expr, put_stage_data)
            if front_url:
                info["presignedUrl"] = front_url.rstrip("/") + "/fs_bucket/" + info["presignedUrl"].split("/fs_bucket/", 1)[1]
            return info
        sql = current_sql.get()
        query_id = str(uuid.uuid4())
        parallel = _PARALLEL.search(sql)
        put_stage_data["queryId"] = query_id
        put_stage_data["encryptionMaterial"] = storage.encryption_material(query_id)
        put_stage_data["overwrite"] = bool(_OVERWRITE.search(sql))
        put_stage_data["parallel"] = max(1, min(99, int(parallel.group(1)))) if parallel else 4
        put_stage_data["threshold"] = 200 * 1024 * 1024
        put_stage_data["clientShowEncryptionParameter"] = False
        # every PUT: the S3 stand-in keeps buckets in memory and may have restarted
        storage.ensure_bucket()
        return storage.stage_info(storage.key_of(put_stage_data["stageInfo"]["location"]))

    fs_server.gcs_stage_info = s3_stage_info

    # -- an upload made through the emulator (the Python connector's) goes on to S3
    write_bucket_file = fs_server._write_bucket_file  # noqa: SLF001

    def write_bucket_file_to_s3(path: str, body: bytes) -> str | None:
        target = write_bucket_file(path, body)
        if target is not None:
            storage.put_file(target)
        return target

    fs_server._write_bucket_file = write_bucket_file_to_s3  # noqa: SLF001

    # -- COPY INTO and LIST read the stage's directory: fill it from S3 first
    resolve_copy_source = fs_copy.stage_url_from_var

    def stage_url_pulled(var: str, duck_conn: Any, *args: Any, **kwargs: Any) -> str:
        url = resolve_copy_source(var, duck_conn, *args, **kwargs)
        if fs_stage.is_internal(url):
            storage.pull(_stage_root(url))
        return url

    fs_copy.stage_url_from_var = stage_url_pulled

    complete_lookup = fs_stage.complete_stage_lookup

    def complete_lookup_pulled(expression: Any, result: tuple | None) -> str:
        if expression.args.get("list_stage_name") and result is not None:
            storage.pull(fs_stage.internal_dir(result[0]))
        return complete_lookup(expression, result)

    fs_stage.complete_stage_lookup = complete_lookup_pulled

    # -- COPY ... PURGE = TRUE removes the loaded file from S3 as well
    class PurgingOs:
        def __getattr__(self, name: str) -> Any:
            return getattr(os, name)

        @staticmethod
        def remove(path: str) -> None:
            if fs_stage.is_internal(path):
                storage.delete([storage.key_of(path)])
            os.remove(path)

    fs_copy.os = PurgingOs()  # type: ignore[assignment]

    # -- statements fakesnow does not know: GET, REMOVE, DROP STAGE; temporary stages per session
    temporary: dict[str, set[str]] = {}  # session token -> storage names of its temporary stages
    clients: dict[str, str] = {}  # session token -> CLIENT_APP_ID

    def resolve(conn: Any, reference: str) -> tuple[str, str, str]:
        """`@stage/path` -> (fully qualified name, storage name, path); raises Snowflake's error when missing."""
        if not reference.startswith("@"):
            raise _error(f"SQL compilation error:\n{reference} does not start with @", 1003, "42000")
        var, _, path = reference[1:].partition("/")
        catalog, schema, name = fs_stage.parts_from_var(var, conn.database, conn.schema)
        fqname = f"{catalog}.{schema}.{name}"
        cursor = conn._duck_conn.cursor()  # noqa: SLF001
        try:
            row = cursor.execute(fs_stage.stage_lookup_sql(catalog, schema, name, conn.table_stages)).fetchone()
        finally:
            cursor.close()
        if row is None:
            raise fs_stage.not_found_error(fqname)
        return fqname, row[0], path

    def get_answer(conn: Any, sql: str) -> dict[str, Any]:
        reference = _GET.match(sql).group(1)  # type: ignore[union-attr]
        local = local_file_path(sql)
        if local is None:
            raise _error("SQL compilation error:\nGET needs a local file:// target.", 1003, "42000")
        _, storage_name, path = resolve(conn, reference)
        location_key, names, materials = storage.download_listing(fs_stage.internal_dir(storage_name, path))
        parallel = _PARALLEL.search(sql)
        return {
            "command": "DOWNLOAD",
            "src_locations": names,
            "localLocation": local,
            "parallel": max(1, min(99, int(parallel.group(1)))) if parallel else 10,
            "stageInfo": storage.stage_info(location_key),
            "encryptionMaterial": materials,
            "queryId": str(uuid.uuid4()),
            "autoCompress": False,
            "overwrite": False,
            "clientShowEncryptionParameter": False,
            "threshold": 200 * 1024 * 1024,
        }

    def remove_rows(conn: Any, sql: str) -> list[tuple[str, str]]:
        m = _REMOVE.match(sql)
        assert m
        pattern = m.group(2).replace("''", "'") if m.group(2) else None
        fqname, storage_name, path = resolve(conn, m.group(1))
        stage_root = fs_stage.internal_dir(storage_name)
        keys = storage.remove_files(fs_stage.internal_dir(storage_name, path), pattern)
        root_key = storage.key_of(stage_root)
        prefix = fqname.rsplit(".", 1)[-1].lower()
        return [(f"{prefix}/{key[len(root_key):]}", "removed") for key in keys]

    def drop_stage(conn: Any, sql: str, bindings: dict[str, Any]) -> str:
        m = _DROP_STAGE.match(sql)
        assert m
        if_exists, name = bool(m.group(1)), m.group(2).strip()
        if re.fullmatch(r"identifier\(\s*\?\s*\)", name, re.IGNORECASE):
            name = str((bindings.get("1") or {}).get("value", ""))
        try:
            fqname, storage_name, _ = resolve(conn, "@" + name)
        except Exception:
            if if_exists:
                return "Drop statement executed successfully (stage already dropped)."
            raise
        drop_storage(storage_name)
        return f"{fqname.rsplit('.', 1)[-1]} successfully dropped."

    def drop_storage(storage_name: str) -> None:
        catalog, schema, name = storage_name.split(".")
        cursor = fs_server.shared_fs.duck_conn.cursor()
        try:
            cursor.execute(
                "DELETE FROM _fs_global._fs_information_schema._fs_stages "
                "WHERE database_name = ? AND schema_name = ? AND name = ?",
                (catalog, schema, name),
            )
        finally:
            cursor.close()
        removed = storage.drop(fs_stage.internal_dir(storage_name))
        log.info("dropped stage %s (%d files)", storage_name, removed)

    def record_temporary(token: str, conn: Any, sql: str, bindings: dict[str, Any]) -> None:
        m = _CREATE_TEMP_STAGE.match(sql)
        if not m:
            return
        name = m.group(1).strip()
        if re.fullmatch(r"identifier\(\s*\?\s*\)", name, re.IGNORECASE):
            name = str((bindings.get("1") or {}).get("value", ""))
        try:
            _, storage_name, _ = resolve(conn, "@" + name)
        except Exception:  # noqa: BLE001 - the CREATE failed; nothing to remember
            return
        temporary.setdefault(token, set()).add(storage_name)

    query_request = fs_server.query_request
    session_request = fs_server.session

    async def query_with_stages(request: Request) -> Any:
        raw = await request.body()
        body = json.loads(gzip.decompress(raw) if request.headers.get("Content-Encoding") == "gzip" else raw)
        sql = str(body.get("sqlText", ""))
        bindings = body.get("bindings") or {}
        try:
            token = fs_server.to_token(request)
            conn = fs_server.to_conn(token)
        except fs_server.ServerError:
            return await query_request(request)  # fakesnow answers the 401
        # S3 and DuckDB calls block: off the event loop, as fakesnow runs its statements
        try:
            if _GET.match(sql):
                return JSONResponse({"data": await run_in_threadpool(get_answer, conn, sql), "success": True})
            rewritten: str | None = None
            if _REMOVE.match(sql):
                rewritten = _rows_sql(("name", "result"), await run_in_threadpool(remove_rows, conn, sql))
            elif _DROP_STAGE.match(sql):
                rewritten = _rows_sql(("status",), [(await run_in_threadpool(drop_stage, conn, sql, bindings),)])
        except Exception as e:  # noqa: BLE001
            return _error_response(e)
        if rewritten is not None:
            body = {**body, "sqlText": rewritten, "bindings": None}
            encoded = json.dumps(body).encode()
            request._body = gzip.compress(encoded) if request.headers.get("Content-Encoding") == "gzip" else encoded  # noqa: SLF001
        reset = current_sql.set(sql)
        reset_client = current_client.set(clients.get(token, ""))
        try:
            response = await query_request(request)
        finally:
            current_sql.reset(reset)
            current_client.reset(reset_client)
        if _CREATE_TEMP_STAGE.match(sql) and response.status_code == 200:
            await run_in_threadpool(record_temporary, token, conn, sql, bindings)
        return response

    login_request = fs_server.login_request

    async def login_noting_client(request: Request) -> Any:
        raw = await request.body()
        body = json.loads(gzip.decompress(raw) if request.headers.get("Content-Encoding") == "gzip" else raw)
        response = await login_request(request)
        try:
            token = json.loads(response.body)["data"]["token"]
            clients[token] = str(((body.get("data") or {}).get("CLIENT_APP_ID")) or "")
        except (ValueError, KeyError, TypeError):
            pass
        return response

    async def session_with_temporary_stages(request: Request) -> Any:
        if request.query_params.get("delete"):
            try:
                token = fs_server.to_token(request)
            except fs_server.ServerError:
                token = None
            if token:
                clients.pop(token, None)
            for storage_name in sorted(temporary.pop(token, set()) if token else []):
                try:
                    await run_in_threadpool(drop_storage, storage_name)
                except Exception as e:  # noqa: BLE001 - the session still ends
                    log.warning("could not drop temporary stage %s: %s", storage_name, e)
        return await session_request(request)

    replacements: dict[str, Callable[..., Any]] = {
        "/session/v1/login-request": login_noting_client,
        "/queries/v1/query-request": query_with_stages,
        "/session": session_with_temporary_stages,
    }
    routes = fs_server.app.router.routes
    for i, route in enumerate(routes):
        if isinstance(route, Route) and route.path in replacements:
            routes[i] = Route(route.path, replacements[route.path], methods=sorted(route.methods or {"POST"}))


def drop_orphaned_temporary_stages(storage: StageStorage) -> list[str]:
    """Temporary stages belong to sessions, and no session outlives a restart: drop those left behind."""
    import fakesnow.server as fs_server
    from fakesnow.transforms import stage as fs_stage

    cursor = fs_server.shared_fs.duck_conn.cursor()
    try:
        rows = cursor.execute(
            "SELECT database_name, schema_name, name FROM _fs_global._fs_information_schema._fs_stages "
            "WHERE type LIKE '%TEMPORARY%'"
        ).fetchall()
        dropped = []
        for catalog, schema, name in rows:
            storage_name = f"{catalog}.{schema}.{name}"
            cursor.execute(
                "DELETE FROM _fs_global._fs_information_schema._fs_stages "
                "WHERE database_name = ? AND schema_name = ? AND name = ?",
                (catalog, schema, name),
            )
            try:
                storage.drop(fs_stage.internal_dir(storage_name))
            except Exception as e:  # noqa: BLE001 - S3 may be down; the stage is gone from the catalog all the same
                log.warning("could not delete the files of temporary stage %s: %s", storage_name, e)
            dropped.append(storage_name)
        return dropped
    finally:
        cursor.close()


def _stage_root(url: str) -> str:
    """The stage directory (LOCAL_BUCKET_PATH/DB/SCHEMA/STAGE/) of a path inside it."""
    from fakesnow.transforms import stage as fs_stage

    parts = PurePosixPath(url).relative_to(fs_stage.LOCAL_BUCKET_PATH).parts
    return os.path.join(fs_stage.LOCAL_BUCKET_PATH, *parts[:3]) + "/"


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _rows_sql(columns: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    """A SELECT that returns these text rows, so fakesnow encodes the answer as for any query."""
    if not rows:
        return "SELECT " + ", ".join(f'CAST(NULL AS VARCHAR) AS "{c}"' for c in columns) + " LIMIT 0"
    selects = [
        "SELECT " + ", ".join(f'{_quote(v)} AS "{c}"' for c, v in zip(columns, row, strict=True)) for row in rows
    ]
    return " UNION ALL ".join(selects)


def _error(message: str, errno: int, sqlstate: str) -> Exception:
    import snowflake.connector.errors

    return snowflake.connector.errors.ProgrammingError(msg=message, errno=errno, sqlstate=sqlstate)


def _error_response(error: Exception) -> Any:
    from starlette.responses import JSONResponse

    import snowflake.connector.errors

    if isinstance(error, snowflake.connector.errors.Error) and error.errno:
        code, sqlstate, message = f"{error.errno:06d}", error.sqlstate, error.msg
    else:
        log.warning("stage operation failed: %r", error)
        code, sqlstate, message = "000603", "XX000", f"Snowflake emulator: stage operation failed: {error}"
    return JSONResponse(
        {"data": {"errorCode": code, "sqlState": sqlstate}, "code": code, "message": message, "success": False}
    )
