"""Whole trend series at one window size, computed once per snapshot and sliced per request.

Planning the trend statement costs DuckDB about 10 ms, whatever the range, and the series of every
window of every topic costs about the same once. So the API computes, per snapshot, table,
language and window size, the whole series of all topics in one statement, splits it by topic, and
answers each request whose ``start`` and ``end`` fall on window boundaries with a slice: every
window of the slice then holds exactly the 15-minute rows the statement would have aggregated for
that range. Other ranges (a partial first or last window) go to the statement itself.

Rows are kept encoded (JSON bytes, one object per row): a few large objects, not hundreds of
thousands of small ones, so the garbage collector has almost nothing to walk.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import orjson
import polars as pl

WINDOW_SECONDS = {"15m": 15 * 60, "1h": 60 * 60, "1d": 24 * 60 * 60}
#: How the API writes a time (as orjson does for a UTC datetime).
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S+00:00"


def on_boundary(moment: datetime, window: str) -> bool:
    """Whether ``moment`` (UTC) starts a window of size ``window`` (windows align to midnight UTC)."""
    return moment.microsecond == 0 and int(moment.timestamp()) % WINDOW_SECONDS[window] == 0


def _microseconds(moment: datetime) -> int:
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return int(moment.timestamp()) * 1_000_000 + moment.microsecond


@dataclass(frozen=True)
class TrendSeries:
    """Encoded rows in window order, and each row's window start (microseconds since the epoch)."""

    rows: list[bytes]
    starts: np.ndarray

    def page(self, start: datetime, end: datetime, limit: int, offset: int) -> tuple[orjson.Fragment, int, int]:
        """The rows of windows starting in [start, end), from ``offset``, at most ``limit``, as one
        encoded JSON array; how many rows that is; and how many there are in all."""
        low, high = np.searchsorted(self.starts, [_microseconds(start), _microseconds(end)])
        first, last = low + offset, min(high, low + offset + limit)
        rows = self.rows[first:last]
        return orjson.Fragment(b"[" + b",".join(rows) + b"]"), len(rows), int(high - low)


EMPTY = TrendSeries([], np.zeros(0, dtype=np.int64))


def series_by_topic(frame: pl.DataFrame) -> dict[str | None, TrendSeries]:
    """The series of each topic, and of all topics together (key None), from the statement's rows
    for all topics (in window, then topic, order). Encoded by Polars in one pass: the same JSON
    as the API's encoder gives (times as :data:`TIME_FORMAT`, NaN as null)."""
    frame = frame.drop("total_rows", strict=False)
    # DuckDB's sums of integers are HUGEINT, decimals in Arrow; the API writes them as numbers.
    frame = frame.with_columns(
        pl.col(name).cast(pl.Int64 if dtype.scale == 0 else pl.Float64)
        for name, dtype in frame.schema.items()
        if isinstance(dtype, pl.Decimal)
    )
    times = [name for name, dtype in frame.schema.items() if isinstance(dtype, pl.Datetime)]
    utc = frame.with_columns(
        pl.col(name).dt.replace_time_zone("UTC")
        if frame.schema[name].time_zone is None
        else pl.col(name).dt.convert_time_zone("UTC")
        for name in times
    )
    lines = utc.with_columns(pl.col(name).dt.strftime(TIME_FORMAT) for name in times).write_ndjson().encode()
    rows = lines.splitlines()
    starts = utc["window_start"].dt.epoch("us").to_numpy()
    grouped: dict[str | None, TrendSeries] = {None: TrendSeries(rows, starts)}
    for topic, indices in utc.with_row_index().group_by("topic").agg("index").iter_rows():
        chosen = np.sort(np.asarray(indices, dtype=np.int64))
        grouped[topic] = TrendSeries([rows[i] for i in chosen], starts[chosen])
    return grouped
