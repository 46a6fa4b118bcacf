"""How the API reads the warehouse: one shared read-only connection, the failures as the API's
errors, answers cached per snapshot, whole trend series computed once. Routes get it as a
dependency (:func:`reads`)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

import duckdb
import orjson
import polars as pl
from fastapi import Depends, HTTPException, Request
from fastapi.responses import Response

from sentiment_platform.api.errors import EARLIEST, LATEST
from sentiment_platform.api.snapshot_cache import SnapshotCache, request_key
from sentiment_platform.api.trend_series import EMPTY, TrendSeries, series_by_topic
from sentiment_platform.lib.lake_store import LakeStore
from sentiment_platform.resources.warehouse import SharedReader, Warehouse

#: Whole trend series kept per snapshot (one per table, language and window size asked for).
SERIES_ENTRIES = 256
JSON = "application/json"
Clock = Callable[[], datetime]


def _number(value: Any) -> Any:
    if isinstance(value, Decimal):  # DuckDB's DECIMAL columns and HUGEINT sums
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"cannot encode {type(value).__name__}")


def encode(body: Any) -> bytes:
    """An answer as JSON: naive timestamps in the warehouse are UTC; NaN and infinities are null."""
    return orjson.dumps(body, default=_number, option=orjson.OPT_NAIVE_UTC | orjson.OPT_SERIALIZE_NUMPY)


class WarehouseReads:
    """What every route reads through: ``warehouse``'s latest snapshot, the answer ``cache``, the
    lake ``storage`` the images come from (None: no images), and the ``clock``."""

    def __init__(self, warehouse: Warehouse, cache: SnapshotCache, storage: LakeStore | None, clock: Clock):
        self.warehouse, self.cache, self.storage, self.clock = warehouse, cache, storage, clock
        self.reader = SharedReader(warehouse)
        self._series = SnapshotCache(SERIES_ENTRIES)
        self._series_locks: dict[tuple, threading.Lock] = {}

    def close(self) -> None:
        self.reader.close()

    @contextmanager
    def reading(self, missing_table_is_empty: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor on the latest snapshot, with the warehouse's failures as the API's errors (a
        missing table, where that means "nothing yet", ends the block quietly instead)."""
        try:
            with self.reader.cursor() as connection:
                yield connection
        except FileNotFoundError as error:
            raise HTTPException(503, "the warehouse has not been built yet") from error
        except duckdb.CatalogException as error:
            if not missing_table_is_empty:
                raise HTTPException(
                    503, "the warehouse table is not built yet; materialize the trend assets"
                ) from error
        except (duckdb.IOException, TimeoutError) as error:
            raise HTTPException(503, "the warehouse is busy; retry shortly") from error

    def fetch(self, sql: str, parameters: dict[str, Any], missing_table_is_empty: bool = False) -> list[dict]:
        rows: list[dict[str, Any]] = []
        with self.reading(missing_table_is_empty) as connection:
            cursor = connection.execute(sql, parameters)
            columns = [column[0] for column in cursor.description]
            rows = [dict(zip(columns, row)) for row in cursor.fetchall()]
        return rows

    def fetch_one(self, sql: str, parameters: dict[str, Any], missing: str) -> dict[str, Any]:
        rows = self.fetch(sql, parameters)
        if not rows:
            raise HTTPException(404, missing)
        return rows[0]

    def cached(self, request: Request, build: Callable[[], Any], resolved: str = "") -> Response:
        """The answer to ``request`` on the latest snapshot: from the cache, or built and kept.
        ``resolved`` names what the answer depends on beyond the request (defaults taken from the
        clock): such an answer is kept under a key the request alone never matches, so it is
        reused only while those values stay the same."""
        version = self.warehouse.snapshot_version()
        key = request_key(request.scope) + (f"#{resolved}" if resolved else "")
        body = self.cache.get(version, key)
        if body is None:
            body = encode(build())
            self.cache.put(version, key, body)
        return Response(body, media_type=JSON)

    def trend_series(self, sql: str, parameters: dict[str, Any]) -> TrendSeries:
        """The whole series the trend statement gives for this topic, language and window,
        computed by one request at a time (the others wait for it rather than repeat it)."""
        version = self.warehouse.snapshot_version()
        key = (sql, parameters["window"], parameters.get("lang"))
        with self._series_locks.setdefault(key, threading.Lock()):
            by_topic = self._series.get(version, key)
            if by_topic is None:
                everything = {
                    **parameters,
                    "start": EARLIEST,
                    "end": LATEST,
                    "topic": None,
                    "limit": 1 << 62,
                    "offset": 0,
                }
                with self.reading() as connection:
                    table = connection.sql(sql, params=everything).to_arrow_table()
                    by_topic = series_by_topic(pl.from_arrow(table))
                self._series.put(version, key, by_topic)
        return by_topic.get(parameters["topic"], EMPTY)


def _reads(request: Request) -> WarehouseReads:
    return request.app.state.reads


#: A route's parameter for the app's :class:`WarehouseReads`.
Reads = Annotated[WarehouseReads, Depends(_reads)]
