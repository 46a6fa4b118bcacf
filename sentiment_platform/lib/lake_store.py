"""The data lake as plain classes: one interface, with a local-disk and an S3 variant.

Free of Dagster, so Spark tasks and notebooks open the lake with them directly
(``LocalLakeStore("data/lake")``); the ``storage`` resource wraps them with configuration."""

from __future__ import annotations

import fcntl
import glob
import io
import os
import shutil
import tempfile
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from sentiment_platform.lib.lake_layout import InvalidLakeKey, LakeObject, check_key


def _lock_nowait(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


def remove_abandoned(folder: Path, prefix: str) -> None:
    """Delete what interrupted writes left in ``folder`` under names starting with ``prefix``
    (``.tmp`` files and ``.staging``/``.retired`` folders). A writer holds an exclusive lock on
    its own until it is done, so only the leftovers of writers that died are free to lock."""
    if not folder.is_dir():
        return
    for path in folder.glob(f"{glob.escape(prefix)}*"):
        if not path.name.endswith((".tmp", ".staging", ".retired")) or path.is_symlink():
            continue
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            continue  # gone already
        try:
            if not _lock_nowait(fd):
                continue  # a live writer's
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
        finally:
            os.close(fd)


class LakeStore(ABC):
    """Reads, writes, lists and atomically replaces objects under the lake root.

    Callers use keys relative to ``root`` and never know which variant they hold:
    :class:`LocalLakeStore` (a folder) or :class:`S3LakeStore` (``s3://bucket/prefix``).
    """

    root: str

    @abstractmethod
    def uri(self, key: str) -> str:
        """Full address of ``key`` (a local path or an s3:// URI; ``""`` is the root), for reports and engines."""

    @abstractmethod
    def read_bytes(self, key: str) -> bytes:
        """The content of ``key``; raises ``FileNotFoundError`` when it does not exist."""

    @abstractmethod
    def write_bytes(self, key: str, data: bytes) -> None:
        """Write ``key`` atomically: readers see the old content or the new one, never a part."""

    @abstractmethod
    def object_size(self, key: str) -> int:
        """Bytes stored at ``key``, without reading them; raises ``FileNotFoundError`` when absent."""

    @abstractmethod
    def read_head(self, key: str, size: int) -> bytes:
        """At most the first ``size`` bytes of ``key`` (a digest of a file too large to read whole)."""

    @abstractmethod
    def parquet_rows(self, key: str) -> int:
        """Rows of the Parquet object ``key``, from its footer only."""

    @abstractmethod
    def exists(self, key: str) -> bool:
        """Whether an object is stored at ``key``."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove ``key`` (nothing happens when it does not exist)."""

    @abstractmethod
    def iter_objects(self, prefix: str, start_after: str | None = None) -> Iterator[LakeObject]:
        """Objects whose key starts with ``prefix``, in key order, paging through any number."""

    @abstractmethod
    def replace_prefix(self, prefix: str, objects: Mapping[str, bytes]) -> None:
        """Make ``objects`` (keys relative to ``prefix``) the whole content of ``prefix``: new objects are
        written first, then objects left from an earlier run removed, so a re-run never leaves duplicates."""

    @abstractmethod
    def settings(self) -> dict[str, Any]:
        """What rebuilds this store elsewhere (a Spark task): ``type(self)(**settings())``."""

    def write_parquet(self, key: str, frame: pl.DataFrame) -> None:
        """Write ``frame`` as one Parquet object at ``key`` (atomically, as :meth:`write_bytes`)."""
        buffer = io.BytesIO()
        frame.write_parquet(buffer, compression="zstd")
        self.write_bytes(key, buffer.getvalue())

    def read_files(self, keys: Sequence[str]) -> list[bytes | None]:
        """The bytes of each object, None for one that is not there (a manifest's missing image)."""
        files: list[bytes | None] = []
        for key in keys:
            try:
                files.append(self.read_bytes(key))
            except FileNotFoundError:
                files.append(None)
        return files

    def read_parquet(self, key: str) -> pl.DataFrame:
        return pl.read_parquet(io.BytesIO(self.read_bytes(key)))

    def list_keys(self, prefix: str) -> list[str]:
        """Keys under ``prefix`` in key order."""
        return [item.key for item in self.iter_objects(prefix)]


class LocalLakeStore(LakeStore):
    """The lake in a local folder. Writes are atomic renames; keys that resolve (through a symlink)
    outside the root are refused."""

    def __init__(self, root: str) -> None:
        self.root = root

    def __repr__(self) -> str:
        return f"LocalLakeStore({self.root!r})"

    def settings(self) -> dict[str, Any]:
        return {"root": self.root}

    def _path(self, key: str) -> Path:
        """The file of ``key``, refused unless it resolves (symlinks followed) inside the root."""
        root = os.path.realpath(self.root)
        path = os.path.realpath(os.path.join(root, check_key(key)))
        if os.path.commonpath([root, path]) != root or path == root:
            raise InvalidLakeKey(f"key resolves outside the lake root: {key!r}")
        return Path(path)

    def uri(self, key: str) -> str:
        return str(self._path(key)) if key else os.path.realpath(self.root)

    def read_bytes(self, key: str) -> bytes:
        return self._file(key).read_bytes()

    def _file(self, key: str) -> Path:
        path = self._path(key)
        if path.is_dir():
            raise InvalidLakeKey(f"key names a folder, not an object: {key!r}")
        return path

    def object_size(self, key: str) -> int:
        return self._file(key).stat().st_size

    def read_head(self, key: str, size: int) -> bytes:
        with self._file(key).open("rb") as handle:
            return handle.read(size)

    def write_bytes(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        remove_abandoned(path.parent, f".{path.name}.")
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # ours while it is written: see remove_abandoned
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def parquet_rows(self, key: str) -> int:
        import pyarrow.parquet as pq

        return pq.read_metadata(self._path(key)).num_rows

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def iter_objects(self, prefix: str, start_after: str | None = None) -> Iterator[LakeObject]:
        base = Path(os.path.realpath(self.root))
        folder_key = prefix if prefix.endswith("/") else prefix.rpartition("/")[0] + "/"
        folder = base if folder_key == "/" else self._path(folder_key)
        if not folder.is_dir():
            return
        found = []
        # os.walk does not follow symlinked folders, and symlinked files are skipped: a listing
        # only ever yields objects that live inside the root.
        for directory, folders, files in os.walk(folder):
            # In-flight temporary files and staging folders of atomic writes start with a dot.
            folders[:] = [name for name in folders if not name.startswith(".")]
            for name in files:
                path = Path(directory, name)
                if name.startswith(".") or path.is_symlink():
                    continue
                key = path.relative_to(base).as_posix()
                if key.startswith(prefix) and (start_after is None or key > start_after):
                    stat = path.stat()
                    found.append(
                        LakeObject(
                            key,
                            stat.st_size,
                            datetime.fromtimestamp(stat.st_mtime, UTC),
                            f"{stat.st_size}-{stat.st_mtime_ns}-{stat.st_ctime_ns}",
                        )
                    )
        yield from sorted(found, key=lambda item: item.key)

    def replace_prefix(self, prefix: str, objects: Mapping[str, bytes]) -> None:
        # The folder is built aside and swapped in, so readers never see a half-written one.
        if not prefix.endswith("/"):
            raise ValueError(f"prefix must end with '/': {prefix!r}")
        for name in objects:
            check_key(prefix + name)
        target = self._path(prefix)
        target.parent.mkdir(parents=True, exist_ok=True)
        remove_abandoned(target.parent, f".{target.name}.")
        staging = target.parent / f".{target.name}.{uuid.uuid4().hex}.staging"
        staging.mkdir()
        fd = os.open(staging, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # ours while it is filled: see remove_abandoned
            for name, data in objects.items():
                path = staging / name
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
            retired = target.parent / f".{target.name}.{uuid.uuid4().hex}.retired"
            if target.exists():
                os.replace(target, retired)
            os.replace(staging, target)
            shutil.rmtree(retired, ignore_errors=True)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        finally:
            os.close(fd)


class S3LakeStore(LakeStore):
    """The lake in an S3 bucket (or any S3-compatible store). ``client`` makes its boto3 client
    (picklable, so a Spark task makes its own: the resource hands dagster-aws's)."""

    def __init__(self, root: str, client: Callable[[], Any]) -> None:
        self.root = root
        self._client = client

    def __repr__(self) -> str:
        return f"S3LakeStore({self.root!r})"

    def settings(self) -> dict[str, Any]:
        return {"root": self.root, "client": self._client}

    @property
    def _bucket_and_prefix(self) -> tuple[str, str]:
        if not self.root.startswith("s3://"):
            raise ValueError(f"an S3 lake root starts with s3://: {self.root!r}")
        bucket, _, prefix = self.root[len("s3://") :].partition("/")
        return bucket, prefix.strip("/")

    @property
    def _bucket(self) -> str:
        return self._bucket_and_prefix[0]

    def _key(self, key: str) -> str:
        _, prefix = self._bucket_and_prefix
        check_key(key)
        return f"{prefix}/{key}" if prefix else key

    @property
    def client(self) -> Any:
        return self._client()

    def uri(self, key: str) -> str:
        bucket, prefix = self._bucket_and_prefix
        return f"s3://{bucket}/{self._key(key) if key else prefix}"

    def read_bytes(self, key: str) -> bytes:
        try:
            return self.client.get_object(Bucket=self._bucket, Key=self._key(key))["Body"].read()
        except self.client.exceptions.NoSuchKey as error:
            raise FileNotFoundError(self.uri(key)) from error

    def object_size(self, key: str) -> int:
        try:
            return int(self.client.head_object(Bucket=self._bucket, Key=self._key(key))["ContentLength"])
        except self.client.exceptions.ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                raise FileNotFoundError(self.uri(key)) from error
            raise

    def read_head(self, key: str, size: int) -> bytes:
        if size <= 0:
            return b""
        try:
            answer = self.client.get_object(Bucket=self._bucket, Key=self._key(key), Range=f"bytes=0-{size - 1}")
        except self.client.exceptions.NoSuchKey as error:
            raise FileNotFoundError(self.uri(key)) from error
        return answer["Body"].read()

    def write_bytes(self, key: str, data: bytes) -> None:
        # A PUT is atomic on S3: readers see the old object or the new one.
        self.client.put_object(Bucket=self._bucket, Key=self._key(key), Body=data)

    def parquet_rows(self, key: str) -> int:
        # A ranged read of the tail: the footer's offsets count from the end of the file, so it parses alone.
        import pyarrow.parquet as pq

        tail_size = 64 * 1024
        while True:
            tail = self.client.get_object(Bucket=self._bucket, Key=self._key(key), Range=f"bytes=-{tail_size}")[
                "Body"
            ].read()
            footer = int.from_bytes(tail[-8:-4], "little") + 8
            if footer <= len(tail) or len(tail) < tail_size:
                return pq.read_metadata(io.BytesIO(tail)).num_rows
            tail_size = footer

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self._bucket, Key=self._key(key))
            return True
        except self.client.exceptions.ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self._bucket, Key=self._key(key))

    def iter_objects(self, prefix: str, start_after: str | None = None) -> Iterator[LakeObject]:
        bucket, root_prefix = self._bucket_and_prefix
        strip = len(root_prefix) + 1 if root_prefix else 0
        # An empty prefix lists the whole root (only a listing may name the root itself).
        kwargs: dict[str, Any] = {
            "Bucket": bucket,
            "Prefix": self._key(prefix) if prefix else root_prefix + "/" * bool(root_prefix),
        }
        if start_after:
            kwargs["StartAfter"] = self._key(start_after)
        for page in self.client.get_paginator("list_objects_v2").paginate(**kwargs):
            for item in page.get("Contents", []):
                yield LakeObject(
                    item["Key"][strip:], int(item["Size"]), item["LastModified"], str(item.get("ETag", "")).strip('"')
                )

    def replace_prefix(self, prefix: str, objects: Mapping[str, bytes]) -> None:
        if not prefix.endswith("/"):
            raise ValueError(f"prefix must end with '/': {prefix!r}")
        stale = set(self.list_keys(prefix))
        for name, data in objects.items():
            self.write_bytes(prefix + name, data)
            stale.discard(prefix + name)
        for key in stale:
            self.delete(key)
