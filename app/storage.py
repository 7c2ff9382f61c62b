"""File storage behind one small interface: local disk (default) or an S3-compatible bucket, and
the answer to a request for a stored file.

Course files, video renditions, claim evidence and certificate PDFs all go through here, so
the same code runs embedded (files under instance/storage) and scaled out (a bucket shared by
every gunicorn worker).
"""

from __future__ import annotations

import mimetypes
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import BinaryIO
from urllib.parse import quote

from flask import Response, abort, current_app, redirect, request


class StorageError(Exception):
    pass


def _clean_key(key: str) -> str:
    parts = PurePosixPath(key).parts
    if not key or key.startswith("/") or any(p in ("..", "") for p in parts):
        raise StorageError(f"invalid storage key: {key!r}")
    return str(PurePosixPath(*parts))


class LocalStorage:
    kind = "local"

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, key: str) -> Path:
        return self.root / _clean_key(key)

    def put_bytes(self, key: str, data: bytes, content_type: str | None = None) -> None:
        p = self.path(key)
        p.parent.mkdir(parents=True, exist_ok=True)
        tmp = p.with_name(p.name + ".part")
        tmp.write_bytes(data)
        os.replace(tmp, p)  # readers never see half a file

    def put_file(self, key: str, src: str | os.PathLike | BinaryIO, content_type: str | None = None,
                 move: bool = False) -> None:
        """`move=True`: the source path may be taken (renamed when on the same disk)."""
        p = self.path(key)
        p.parent.mkdir(parents=True, exist_ok=True)
        tmp = p.with_name(p.name + ".part")
        if isinstance(src, (str, os.PathLike)) and move:
            shutil.move(src, tmp)
        elif isinstance(src, (str, os.PathLike)):
            shutil.copyfile(src, tmp)
        else:
            with open(tmp, "wb") as out:
                shutil.copyfileobj(src, out, 1024 * 1024)
        os.replace(tmp, p)

    def read_bytes(self, key: str) -> bytes:
        try:
            return self.path(key).read_bytes()
        except FileNotFoundError:
            raise StorageError(f"not found: {key}") from None

    def open(self, key: str) -> BinaryIO:
        try:
            return open(self.path(key), "rb")
        except FileNotFoundError:
            raise StorageError(f"not found: {key}") from None

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def size(self, key: str) -> int:
        try:
            return self.path(key).stat().st_size
        except FileNotFoundError:
            raise StorageError(f"not found: {key}") from None

    def stat(self, key: str) -> tuple[int, str]:
        """Size and a version that changes whenever the file is written again (for caches)."""
        try:
            st = self.path(key).stat()
        except FileNotFoundError:
            raise StorageError(f"not found: {key}") from None
        return st.st_size, f"{self.root}:{st.st_mtime_ns}:{st.st_ino}"

    def iter_range(self, key: str, start: int, end: int, chunk: int = 256 * 1024) -> Iterator[bytes]:
        """Bytes start..end inclusive, in chunks (for HTTP 206 answers)."""
        with self.open(key) as f:
            f.seek(start)
            left = end - start + 1
            while left > 0:
                data = f.read(min(chunk, left))
                if not data:
                    break
                left -= len(data)
                yield data

    def delete(self, key: str) -> None:
        try:
            self.path(key).unlink()
        except FileNotFoundError:
            pass

    def delete_prefix(self, prefix: str) -> None:
        p = self.path(prefix.rstrip("/"))
        if p.is_dir():
            shutil.rmtree(p)

    def list(self, prefix: str = "") -> list[str]:
        base = self.root / prefix if prefix else self.root
        if not base.exists():
            return []
        return sorted(str(p.relative_to(self.root).as_posix()) for p in base.rglob("*")
                      if p.is_file() and not p.name.endswith(".part"))

    def download_to(self, key: str, dest: str | os.PathLike) -> None:
        shutil.copyfile(self.path(key), dest)

    def signed_url(self, key: str, expires: int = 300, filename: str | None = None) -> str | None:
        return None  # served by the app itself, with access checks and byte ranges


class S3Storage:
    kind = "s3"

    def __init__(self, bucket: str, endpoint_url: str | None = None, region: str | None = None) -> None:
        import boto3
        from botocore.config import Config

        self.bucket = bucket
        self.client = boto3.client("s3", endpoint_url=endpoint_url, region_name=region,
                                   config=Config(signature_version="s3v4", retries={"max_attempts": 5}))

    def ensure_bucket(self) -> None:
        from botocore.exceptions import ClientError

        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError:
            self.client.create_bucket(Bucket=self.bucket)

    def put_bytes(self, key: str, data: bytes, content_type: str | None = None) -> None:
        extra = {"ContentType": content_type} if content_type else {}
        self.client.put_object(Bucket=self.bucket, Key=_clean_key(key), Body=data, **extra)

    def put_file(self, key: str, src: str | os.PathLike | BinaryIO, content_type: str | None = None,
                 move: bool = False) -> None:
        extra = {"ExtraArgs": {"ContentType": content_type}} if content_type else {}
        if isinstance(src, (str, os.PathLike)):
            self.client.upload_file(str(src), self.bucket, _clean_key(key), **extra)
            if move:
                os.unlink(src)
        else:
            self.client.upload_fileobj(src, self.bucket, _clean_key(key), **extra)

    def _get(self, key: str, **kw):
        from botocore.exceptions import ClientError

        try:
            return self.client.get_object(Bucket=self.bucket, Key=_clean_key(key), **kw)
        except ClientError as exc:
            raise StorageError(f"not found: {key} ({exc})") from None

    def read_bytes(self, key: str) -> bytes:
        return self._get(key)["Body"].read()

    def open(self, key: str) -> BinaryIO:
        return self._get(key)["Body"]

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=_clean_key(key))
            return True
        except ClientError:
            return False

    def size(self, key: str) -> int:
        from botocore.exceptions import ClientError

        try:
            return self.client.head_object(Bucket=self.bucket, Key=_clean_key(key))["ContentLength"]
        except ClientError:
            raise StorageError(f"not found: {key}") from None

    def stat(self, key: str) -> tuple[int, str]:
        """Size and a version that changes whenever the object is written again (its ETag)."""
        from botocore.exceptions import ClientError

        try:
            head = self.client.head_object(Bucket=self.bucket, Key=_clean_key(key))
        except ClientError:
            raise StorageError(f"not found: {key}") from None
        return head["ContentLength"], f"{self.bucket}:{head.get('ETag', '')}"

    def iter_range(self, key: str, start: int, end: int, chunk: int = 256 * 1024) -> Iterator[bytes]:
        body = self._get(key, Range=f"bytes={start}-{end}")["Body"]
        yield from body.iter_chunks(chunk)

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=_clean_key(key))

    def delete_prefix(self, prefix: str) -> None:
        for key in self.list(prefix):
            self.delete(key)

    def list(self, prefix: str = "") -> list[str]:
        keys: list[str] = []
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            keys.extend(o["Key"] for o in page.get("Contents", []))
        return sorted(keys)

    def download_to(self, key: str, dest: str | os.PathLike) -> None:
        self.client.download_file(self.bucket, _clean_key(key), str(dest))

    def signed_url(self, key: str, expires: int = 300, filename: str | None = None) -> str | None:
        params = {"Bucket": self.bucket, "Key": _clean_key(key)}
        if filename:
            # RFC 5987: a name with quotes or non-ASCII letters stays one valid header value
            params["ResponseContentDisposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
        return self.client.generate_presigned_url("get_object", Params=params, ExpiresIn=expires)


Storage = LocalStorage | S3Storage


def get_storage() -> Storage:
    """The app's storage backend, made once per app."""
    app = current_app._get_current_object()
    store = app.extensions.get("lentera_storage")
    if store is None:
        cfg = app.config
        if cfg["LENTERA_STORAGE"] == "s3":
            store = S3Storage(cfg["S3_BUCKET"], cfg.get("S3_ENDPOINT_URL"), cfg.get("S3_REGION"))
            store.ensure_bucket()
        elif cfg["LENTERA_STORAGE"] == "local":
            store = LocalStorage(cfg["LENTERA_STORAGE_PATH"])
        else:
            raise StorageError(f"LENTERA_STORAGE must be local or s3, not {cfg['LENTERA_STORAGE']!r}")
        app.extensions["lentera_storage"] = store
    return store


# --- answering a request for a stored file ------------------------------------------------------
#
# Byte ranges (HTTP 206) from local storage, or a short-lived signed URL to the bucket with S3.
# The caller has already checked access.

_RANGE = re.compile(r"bytes=(\d*)-(\d*)$")


def send_stored(key: str, *, filename: str | None = None, mimetype: str | None = None,
                as_attachment: bool = False, max_age: int = 0, allow_redirect: bool = True) -> Response:
    store = get_storage()
    mimetype = mimetype or mimetypes.guess_type(filename or key)[0] or "application/octet-stream"
    if allow_redirect:
        url = store.signed_url(key, expires=300, filename=filename if as_attachment else None)
        if url:
            return redirect(url, code=302)
    try:
        size = store.size(key)
    except StorageError:
        abort(404)
    headers = {"Accept-Ranges": "bytes", "Cache-Control": f"private, max-age={max_age}"}
    if filename:
        disposition = "attachment" if as_attachment else "inline"
        headers["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{quote(filename)}"
    start, end, status = 0, size - 1, 200
    header = request.headers.get("Range")
    if header and size > 0:
        m = _RANGE.match(header.strip())
        if m is None or (not m.group(1) and not m.group(2)):
            return Response(status=416, headers={"Content-Range": f"bytes */{size}"})
        if m.group(1):
            start = int(m.group(1))
            end = min(int(m.group(2)), size - 1) if m.group(2) else size - 1
        else:  # suffix range: the last N bytes
            start = max(0, size - int(m.group(2)))
        if start > end or start >= size:
            return Response(status=416, headers={"Content-Range": f"bytes */{size}"})
        status = 206
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    headers["Content-Length"] = str(end - start + 1 if size else 0)
    if request.method == "HEAD" or size == 0:
        resp = Response(b"", status=status, mimetype=mimetype, headers=headers)
        resp.headers["Content-Length"] = headers["Content-Length"]  # what a GET would send, not the empty body
        return resp
    wrapper = request.environ.get("wsgi.file_wrapper")
    if store.kind == "local" and getattr(wrapper, "__module__", "").startswith("gunicorn."):
        # Under gunicorn: sendfile(2) of exactly Content-Length bytes from the file's offset, so
        # the bytes never pass through Python (gunicorn also stops at Content-Length without it).
        f = store.open(key)
        f.seek(start)
        return Response(wrapper(f, 1024 * 1024), status=status, mimetype=mimetype, headers=headers,
                        direct_passthrough=True)
    # 1 MiB pieces: fewer Python round trips per byte than the default, still little memory per request.
    return Response(store.iter_range(key, start, end, chunk=1024 * 1024), status=status, mimetype=mimetype,
                    headers=headers, direct_passthrough=True)
