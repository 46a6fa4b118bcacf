"""Replacing one partition's rows of a warehouse table (idempotent re-runs)."""

from __future__ import annotations

import re
from typing import Any

import polars as pl

from sentiment_platform.lib.warehouse_schema import WarehouseTable

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


class PartitionRangeError(ValueError):
    """Rows handed to a partition's replacement that lie outside the partition: written, they would
    survive the next replacement of their own partition and be counted twice."""


def _identifier(name: str) -> str:
    if not _IDENTIFIER.match(name):
        raise ValueError(f"invalid identifier {name!r}")
    return name


def replace_range(connection, table: WarehouseTable, frame: pl.DataFrame, start: Any, end: Any) -> int:
    """Make ``frame`` the rows of ``table`` whose range column lies in ``[start, end)``: a partition.

    ``frame`` has exactly the table's declared columns (``ValueError`` naming the difference
    otherwise), so what the writers produce and what the readers name cannot drift apart.

    Every row of ``frame`` must lie in that range (:class:`PartitionRangeError` otherwise), so a
    table replaced partition by partition only ever holds each partition's own rows, and re-running
    any partition leaves the table as it was. Creates the table from the frame's schema on first
    use, and adds the frame's new columns to an existing table (older rows get nulls there). Runs
    inside the caller's transaction, so readers see either the old or the new rows of the
    partition, never both or neither.
    """
    if set(frame.columns) != set(table.columns):
        missing, extra = set(table.columns) - set(frame.columns), set(frame.columns) - set(table.columns)
        raise ValueError(
            f"rows for {table.name} do not have its columns: missing {sorted(missing)}, extra {sorted(extra)}"
        )
    column, table = _identifier(table.range_column), _identifier(table.name)
    outside = frame.filter(~pl.col(column).is_between(start, end, closed="left").fill_null(False))
    if outside.height:
        raise PartitionRangeError(
            f"{outside.height} rows for {table} have {column} outside [{start}, {end}), e.g. {outside[column][0]}"
        )
    connection.register("incoming_rows", frame)
    try:
        connection.execute(f"CREATE TABLE IF NOT EXISTS {table} AS SELECT * FROM incoming_rows LIMIT 0")
        present = {row[0] for row in connection.execute(f"DESCRIBE {table}").fetchall()}
        for name, dtype, *_ in connection.execute("DESCRIBE incoming_rows").fetchall():
            if name not in present:
                connection.execute(f"ALTER TABLE {table} ADD COLUMN {_identifier(name)} {dtype}")
        connection.execute(f"DELETE FROM {table} WHERE {column} >= ? AND {column} < ?", [start, end])
        connection.execute(f"INSERT INTO {table} BY NAME SELECT * FROM incoming_rows")
    finally:
        connection.unregister("incoming_rows")
    return frame.height
