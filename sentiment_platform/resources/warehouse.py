"""The DuckDB warehouse that holds the trend tables.

DuckDB lets one process write a database file, or several read it, never both. Access is
therefore coordinated with two advisory file locks beside the database:

- ``.rw.lock``: exclusive while a process writes, shared while a process has it open to read;
- ``.gate.lock``: a writer holds it exclusively while it waits for and holds ``.rw.lock``, so
  readers that keep a connection open (the API) notice a waiting writer, step aside and come
  back when it is done; a writer is never starved by a busy API.

Writes are serialised by the same locks (concurrent runs and backfills queue instead of failing on
DuckDB's lock); assets that write also share the Dagster concurrency pool ``duckdb_warehouse``.
"""

from __future__ import annotations

import fcntl
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator

import duckdb
import polars as pl
from dagster_duckdb import DuckDBResource
from pydantic import Field

WAREHOUSE_POOL = "duckdb_warehouse"


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
        pl.col(name).dt.convert_time_zone("UTC") for name, dtype in frame.schema.items()
        if isinstance(dtype, pl.Datetime) and dtype.time_zone not in (None, "UTC")
    )


class Warehouse(DuckDBResource):
    """A DuckDB database file (``data/warehouse.duckdb`` by default) with serialised writes."""

    database: str = Field(default="data/warehouse.duckdb", description="Path of the DuckDB file.")
    lock_timeout_s: float = Field(default=600.0, description="How long a writer or reader waits for the lock.")

    def _lock_file(self, kind: str) -> IO:
        path = Path(self.database).with_suffix(f".{kind}.lock")
        path.parent.mkdir(parents=True, exist_ok=True)
        return open(path, "a+")

    @contextmanager
    def write(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-write connection in a transaction, held by one process at a time; commits on
        success, rolls back on error."""
        with self._lock_file("gate") as gate, self._lock_file("rw") as rw:
            _lock(gate, fcntl.LOCK_EX, self.lock_timeout_s, f"warehouse {self.database}")
            try:
                _lock(rw, fcntl.LOCK_EX, self.lock_timeout_s, f"warehouse {self.database}")
                connection = duckdb.connect(self.database, config=dict(self.connection_config))
                try:
                    connection.execute("BEGIN TRANSACTION")
                    yield connection
                    connection.execute("COMMIT")
                except BaseException:
                    connection.execute("ROLLBACK")
                    raise
                finally:
                    connection.close()
            finally:
                fcntl.flock(gate, fcntl.LOCK_UN)

    def _open_reader(self) -> tuple[duckdb.DuckDBPyConnection, IO]:
        """A read-only connection and the shared lock that covers it (waits out a writer)."""
        if not Path(self.database).exists():
            raise FileNotFoundError(f"the warehouse {self.database} does not exist yet; materialize the trend assets")
        rw = self._lock_file("rw")
        try:
            with self._lock_file("gate") as gate:
                _lock(gate, fcntl.LOCK_SH, self.lock_timeout_s, f"warehouse {self.database}")
                _lock(rw, fcntl.LOCK_SH, self.lock_timeout_s, f"warehouse {self.database}")
            return duckdb.connect(self.database, read_only=True), rw
        except BaseException:
            rw.close()
            raise

    @contextmanager
    def read(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection (it cannot change data) for one unit of work."""
        connection, rw = self._open_reader()
        try:
            yield connection
        finally:
            connection.close()
            rw.close()

    def writer_waiting(self) -> bool:
        """Whether a writer holds or waits for the gate."""
        with self._lock_file("gate") as gate:
            try:
                fcntl.flock(gate, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(gate, fcntl.LOCK_UN)
            return False

    def query(self, sql: str, parameters: list | None = None) -> pl.DataFrame:
        """Run a read-only, parameterised query and return the result as Polars."""
        with self.read() as connection:
            return as_utc(connection.sql(sql, params=parameters or None).pl())


class SharedReader:
    """One read-only connection shared by a server's threads (a cursor each), kept open between
    requests: opening a DuckDB file costs far more than a small query. When a writer waits, new
    requests hold back, the connection closes once the running ones finish, and it reopens after
    the write, so readers then see the new data."""

    def __init__(self, warehouse: Warehouse) -> None:
        self.warehouse = warehouse
        self._condition = threading.Condition()
        self._connection: duckdb.DuckDBPyConnection | None = None
        self._lock_handle: IO | None = None
        self._active = 0
        self._draining = False

    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with self._condition:
            while True:
                if self._connection is not None and not self._draining and self.warehouse.writer_waiting():
                    self._draining = True
                if self._draining:
                    if self._active == 0:
                        self._close()
                        self._draining = False
                    else:
                        self._condition.wait(0.05)
                        continue
                if self._connection is None:
                    self._connection, self._lock_handle = self.warehouse._open_reader()
                break
            self._active += 1
            cursor = self._connection.cursor()
        try:
            yield cursor
        finally:
            cursor.close()
            with self._condition:
                self._active -= 1
                self._condition.notify_all()

    def _close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._lock_handle.close()
        self._connection, self._lock_handle = None, None

    def close(self) -> None:
        with self._condition:
            self._close()
