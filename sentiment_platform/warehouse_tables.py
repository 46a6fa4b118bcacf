"""Replacing one partition's rows of a warehouse table (idempotent re-runs)."""

from __future__ import annotations

import re

import polars as pl

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


def replace_rows(connection, table: str, frame: pl.DataFrame, where: str, parameters: list) -> int:
    """Delete the rows of ``table`` matching ``where`` and insert ``frame`` in their place.

    Creates the table from the frame's schema on first use. Runs inside the caller's transaction,
    so readers see either the old or the new rows of the partition, never both or neither.
    """
    if not _IDENTIFIER.match(table):
        raise ValueError(f"invalid table name {table!r}")
    connection.register("incoming_rows", frame)
    try:
        connection.execute(f"CREATE TABLE IF NOT EXISTS {table} AS SELECT * FROM incoming_rows LIMIT 0")
        connection.execute(f"DELETE FROM {table} WHERE {where}", parameters)
        connection.execute(f"INSERT INTO {table} BY NAME SELECT * FROM incoming_rows")
    finally:
        connection.unregister("incoming_rows")
    return frame.height
