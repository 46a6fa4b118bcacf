"""The DuckDB warehouse that holds the trend tables.

DuckDB lets one process write a database file, or several read it, never both. Writers and readers
therefore never share a file:

- writers take turns on the database file (an advisory lock beside it, ``.write.lock``), each in
  one transaction; after each commit the writer publishes a snapshot: a copy of the file under
  ``<name>.snapshots/``, to which the link ``<name>.snapshot.duckdb`` is then switched atomically;
- readers (the API, reports, queries) open the snapshot read-only. A reader holds no lock that a
  writer waits for: an idle API never delays a write, and no reader ever sees a half-written
  partition, since a snapshot is only ever a committed state. A reader that stays open sees its
  snapshot until it reopens (the API checks before every request and reopens on a new one).

Writes are serialised by that lock (concurrent runs and backfills queue instead of failing on
DuckDB's lock); assets that write also share the Dagster concurrency pool ``duckdb_warehouse``.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import duckdb
import polars as pl
from dagster_duckdb import DuckDBResource
from pydantic import Field

WAREHOUSE_POOL = "duckdb_warehouse"
#: Snapshots kept besides the published one, for readers still on them.
KEPT_SNAPSHOTS = 3


def _lock(handle: IO, mode: int, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    delay = 0.002
    while True:
        try:
            fcntl.flock(handle, mode | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{what} stayed locked for {timeout_s}s") from None
            time.sleep(delay)
            delay = min(delay * 2, 0.1)


def as_utc(frame: pl.DataFrame) -> pl.DataFrame:
    """Time-zone-aware columns in "UTC" (DuckDB reports its session zone, such as "Etc/UTC")."""
    return frame.with_columns(
        pl.col(name).dt.convert_time_zone("UTC")
        for name, dtype in frame.schema.items()
        if isinstance(dtype, pl.Datetime) and dtype.time_zone not in (None, "UTC")
    )


class Warehouse(DuckDBResource):
    """A DuckDB database file (``data/warehouse.duckdb`` by default): serialised writes, and reads
    from the snapshot the last write published."""

    database: str = Field(default="data/warehouse.duckdb", description="Path of the DuckDB file.")
    lock_timeout_s: float = Field(default=600.0, description="How long a writer waits for the writers before it.")

    @property
    def snapshot_path(self) -> Path:
        """The link to the published snapshot that readers open."""
        path = Path(self.database)
        return path.with_name(f"{path.stem}.snapshot{path.suffix or '.duckdb'}")

    @property
    def _snapshot_folder(self) -> Path:
        path = Path(self.database)
        return path.with_name(f"{path.stem}.snapshots")

    def _lock_file(self) -> IO:
        path = Path(self.database).with_suffix(".write.lock")
        path.parent.mkdir(parents=True, exist_ok=True)
        return open(path, "a+")

    @contextmanager
    def write(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-write connection in a transaction, held by one writer at a time; commits on
        success (then publishes the snapshot), rolls back on error."""
        with self._lock_file() as lock:
            _lock(lock, fcntl.LOCK_EX, self.lock_timeout_s, f"warehouse {self.database}")
            try:
                connection = duckdb.connect(self.database, config=dict(self.connection_config))
                try:
                    connection.execute("BEGIN TRANSACTION")
                    yield connection
                    connection.execute("COMMIT")
                    connection.execute("CHECKPOINT")  # everything in the file, nothing in the WAL
                except BaseException:
                    connection.execute("ROLLBACK")
                    raise
                finally:
                    connection.close()
                self._publish()
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _publish(self) -> None:
        """Copy the database to a new snapshot file and point the snapshot link at it (the caller
        holds the write lock). Each snapshot has its own path, so a process that still reads an
        older one (DuckDB keeps one instance per path) is never confused with the new one."""
        folder = self._snapshot_folder
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{time.time_ns():020d}.duckdb"
        with open(target, "wb") as handle, open(self.database, "rb") as source:
            shutil.copyfileobj(source, handle, 16 * 1024 * 1024)
            handle.flush()
            os.fsync(handle.fileno())
        link = self.snapshot_path
        staged = link.with_name(f".{link.name}.{os.getpid()}.link")
        staged.unlink(missing_ok=True)
        staged.symlink_to(os.path.relpath(target, link.parent))
        os.replace(staged, link)
        # Older snapshots go; readers that still have one open keep reading it (POSIX unlink).
        for old in sorted(folder.glob("*.duckdb"))[:-KEPT_SNAPSHOTS]:
            old.unlink(missing_ok=True)

    def _open_reader(self) -> tuple[duckdb.DuckDBPyConnection, str]:
        """A read-only connection to the latest snapshot, and that snapshot's version."""
        if self.snapshot_version() is None:
            if not Path(self.database).exists():
                raise FileNotFoundError(
                    f"the warehouse {self.database} does not exist yet; materialize the trend assets"
                )
            with self._lock_file() as lock:  # a database from before snapshots: publish it once
                _lock(lock, fcntl.LOCK_EX, self.lock_timeout_s, f"warehouse {self.database}")
                if self.snapshot_version() is None:
                    self._publish()
        # (Should KEPT_SNAPSHOTS writes land between the link's read and the open, the file is
        # gone: DuckDB's IOException, which the API answers as busy.)
        version = self.snapshot_version()
        return duckdb.connect(str(self.snapshot_path.parent / version), read_only=True), version

    def snapshot_version(self) -> str | None:
        """The published snapshot's file, relative to the link (None if none): new after each write."""
        try:
            return os.readlink(self.snapshot_path)
        except FileNotFoundError:
            return None

    @contextmanager
    def read(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection (it cannot change data) to the latest snapshot, for one unit of work."""
        connection, _ = self._open_reader()
        try:
            yield connection
        finally:
            connection.close()

    def query(self, sql: str, parameters: list | None = None) -> pl.DataFrame:
        """Run a read-only, parameterised query and return the result as Polars."""
        with self.read() as connection:
            return as_utc(connection.sql(sql, params=parameters or None).pl())


class SharedReader:
    """One read-only connection shared by a server's threads (a cursor each), kept open between
    requests: opening a DuckDB file costs far more than a small query. Before each request it
    checks whether a newer snapshot was published (one ``readlink``) and, if so, moves to it; the
    old connection closes once the requests running on it finish."""

    def __init__(self, warehouse: Warehouse) -> None:
        self.warehouse = warehouse
        self._lock = threading.Lock()
        self._connection: duckdb.DuckDBPyConnection | None = None
        self._version: str | None = None
        self._active: dict[int, int] = {}  # id(connection) -> running requests
        self._retired: dict[int, duckdb.DuckDBPyConnection] = {}

    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with self._lock:
            version = self.warehouse.snapshot_version()
            if self._connection is None or version != self._version:
                self._retire()
                self._connection, self._version = self.warehouse._open_reader()
            connection = self._connection
            self._active[id(connection)] = self._active.get(id(connection), 0) + 1
            cursor = connection.cursor()
        try:
            yield cursor
        finally:
            cursor.close()
            with self._lock:
                self._active[id(connection)] -= 1
                if not self._active[id(connection)]:
                    del self._active[id(connection)]
                    retired = self._retired.pop(id(connection), None)
                    if retired is not None:
                        retired.close()

    def _retire(self) -> None:
        """Stop handing out the current connection; close it now if nothing runs on it."""
        if self._connection is None:
            return
        if self._active.get(id(self._connection)):
            self._retired[id(self._connection)] = self._connection
        else:
            self._connection.close()
        self._connection, self._version = None, None

    def close(self) -> None:
        with self._lock:
            self._retire()
