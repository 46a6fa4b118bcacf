"""Parsing JSON-lines batches into typed records, with a reason for every line that is rejected.

JSON syntax and the JSON type of each field are checked in DuckDB (one vectorised pass over all
lines, no per-line Python), so a broken line costs no more than a good one and never stops the batch.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Literal, Sequence

import duckdb
import polars as pl

FieldKind = Literal["string", "int", "object_list"]

# The JSON types DuckDB's json_type reports that each kind of field accepts.
_ACCEPTED_JSON_TYPES: dict[str, tuple[str, ...]] = {
    "string": ("VARCHAR",),
    "int": ("BIGINT", "UBIGINT"),
    "object_list": ("ARRAY",),
}
_DUCKDB_TYPES = {"string": "VARCHAR", "int": "BIGINT"}


@dataclass(frozen=True)
class RecordField:
    """One top-level field of a landing record."""

    name: str
    kind: FieldKind
    required: bool = False
    #: For ``object_list`` fields: the string members of each object that are kept.
    members: tuple[str, ...] = ()


@dataclass(frozen=True)
class RecordSchema:
    """The fields a dataset's landing records must (or may) have, and their types."""

    dataset: str
    fields: tuple[RecordField, ...]

    def transform_spec(self) -> str:
        spec: dict[str, object] = {}
        for item in self.fields:
            if item.kind == "object_list":
                spec[item.name] = [{member: "VARCHAR" for member in item.members}]
            else:
                spec[item.name] = _DUCKDB_TYPES[item.kind]
        return json.dumps(spec)


REJECT_COLUMNS = {"source_file": pl.String, "line_no": pl.Int64, "reason": pl.String, "record": pl.String}


def empty_rejects() -> pl.DataFrame:
    return pl.DataFrame(schema=REJECT_COLUMNS)


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def split_lines(files: Sequence[tuple[str, bytes]]) -> pl.DataFrame:
    """One row per non-blank line of each file: ``source_file``, ``line_no`` (1-based), ``line``.

    Bytes that are not UTF-8 are replaced with U+FFFD here and rejected later as ``invalid_utf8``.
    """
    frames = []
    for name, data in files:
        if not data.strip():
            continue
        frame = pl.read_csv(
            io.BytesIO(data), has_header=False, separator="\x1f", quote_char=None,
            new_columns=["line"], schema={"line": pl.String}, encoding="utf8-lossy",
            truncate_ragged_lines=True,
        )
        frames.append(
            frame.with_row_index("line_no", offset=1)
            .filter(pl.col("line").is_not_null() & (pl.col("line").str.strip_chars() != ""))
            .select(pl.lit(name).alias("source_file"), pl.col("line_no").cast(pl.Int64), "line")
        )
    if not frames:
        return pl.DataFrame(schema={"source_file": pl.String, "line_no": pl.Int64, "line": pl.String})
    return pl.concat(frames, rechunk=True)


def parse_records(lines: pl.DataFrame, schema: RecordSchema) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split ``lines`` (from :func:`split_lines`) into typed records and rejected lines.

    Returns ``(records, rejected)``: ``records`` has ``source_file``, ``line_no``, ``line`` and one
    column per schema field; ``rejected`` has ``source_file``, ``line_no``, ``reason``, ``record``.
    """
    paths = ["$"] + [f"$.{item.name}" for item in schema.fields]
    connection = duckdb.connect()
    try:
        connection.register("lines", lines)
        typed = connection.sql(
            f"SELECT source_file, line_no, line, try(json_type(line, {paths!r})) AS json_types, "
            f"try(json_transform(line, {_sql_string(schema.transform_spec())})) AS record FROM lines"
        ).pl()
    finally:
        connection.close()

    types = pl.col("json_types")
    reason = pl.when(pl.col("line").str.contains("\ufffd", literal=True)).then(pl.lit("invalid_utf8"))
    reason = reason.when(types.is_null()).then(pl.lit("invalid_json"))
    reason = reason.when(types.list.get(0) != "OBJECT").then(pl.lit("not_an_object"))
    for position, item in enumerate(schema.fields, start=1):
        found = types.list.get(position)
        absent = found.is_null() | (found == "NULL")
        if item.required:
            reason = reason.when(absent).then(pl.lit(f"missing_field:{item.name}"))
        reason = reason.when(~absent & ~found.is_in(_ACCEPTED_JSON_TYPES[item.kind])).then(
            pl.lit(f"wrong_type:{item.name}")
        )
    reason = reason.when(pl.col("record").is_null()).then(pl.lit("unparseable_record"))
    typed = typed.with_columns(reason.otherwise(None).alias("reason"))

    rejected = typed.filter(pl.col("reason").is_not_null()).select(
        "source_file", "line_no", "reason", pl.col("line").alias("record")
    )
    records = (
        typed.filter(pl.col("reason").is_null())
        .select("source_file", "line_no", "line", "record")
        .unnest("record")
    )
    return records, rejected


def reject(frame: pl.DataFrame, condition: pl.Expr, reason: str | pl.Expr) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split ``frame`` on ``condition``: (rows kept, rows rejected with ``reason``)."""
    flagged = frame.with_columns(condition.fill_null(False).alias("_rejected"))
    rejected = flagged.filter(pl.col("_rejected")).select(
        "source_file", "line_no",
        (reason if isinstance(reason, pl.Expr) else pl.lit(reason)).alias("reason"),
        pl.col("line").alias("record"),
    )
    return flagged.filter(~pl.col("_rejected")).drop("_rejected"), rejected


def rejects_to_jsonl(rejected: pl.DataFrame) -> bytes:
    """Quarantine file content: one JSON object per rejected record, with its reason."""
    if rejected.is_empty():
        return b""
    buffer = io.BytesIO()
    rejected.sort("source_file", "line_no").write_ndjson(buffer)
    return buffer.getvalue()
