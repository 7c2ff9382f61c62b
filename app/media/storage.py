"""File storage behind one small interface: local disk (default) or an S3-compatible bucket.

Course files, video renditions, claim evidence and certificate PDFs all go through here, so
the same code runs embedded (files under instance/storage) and scaled out (a bucket shared by
every gunicorn worker).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from flask import current_app


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
            params["ResponseContentDisposition"] = f'attachment; filename="{filename}"'
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
