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
        # json_type and json_transform run only on syntactically valid lines (CASE evaluates its
        # branch on the selected rows only), which keeps the whole batch vectorised.
        typed = connection.sql(
            f"SELECT source_file, line_no, line, "
            f"CASE WHEN valid THEN json_type(line, {paths!r}) END AS json_types, "
            f"CASE WHEN valid THEN json_transform(line, {_sql_string(schema.transform_spec())}) END AS record "
            f"FROM (SELECT *, json_valid(line) AS valid FROM lines)"
        ).pl()
    finally:
        connection.close()

    # One column per field with its JSON type, then a cheap all-good test; the reason (the first
    # rule a line breaks) is worked out only for the few lines that fail it.
    type_columns = [f"_type_{position}" for position in range(len(paths))]
    typed = typed.with_columns(
        pl.col("json_types").list.get(position, null_on_oob=True).alias(name)
        for position, name in enumerate(type_columns)
    )
    checks: list[tuple[pl.Expr, str]] = [
        (pl.col("line").str.contains("\ufffd", literal=True), "invalid_utf8"),
        (pl.col("json_types").is_null(), "invalid_json"),
        (pl.col(type_columns[0]) != "OBJECT", "not_an_object"),
    ]
    for item, column in zip(schema.fields, type_columns[1:]):
        found = pl.col(column)
        absent = found.is_null() | (found == "NULL")
        if item.required:
            checks.append((absent, f"missing_field:{item.name}"))
        checks.append((~absent & ~found.is_in(_ACCEPTED_JSON_TYPES[item.kind]), f"wrong_type:{item.name}"))
    checks.append((pl.col("record").is_null(), "unparseable_record"))

    records, rejected = apply_checks(typed, checks)
    return records.select("source_file", "line_no", "line", "record").unnest("record"), rejected


Check = tuple[pl.Expr, str]


def apply_checks(frame: pl.DataFrame, checks: Sequence[Check]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split ``frame`` into rows that pass every check and rows rejected with the first they fail.

    ``checks`` are ``(condition that rejects, reason)`` pairs. All conditions are tested in one
    vectorised pass; the reason is worked out only for the (usually few) rejected rows.
    """
    if not checks:
        return frame, empty_rejects()
    failing = pl.any_horizontal(condition.fill_null(False) for condition, _ in checks)
    flagged = frame.with_columns(failing.alias("_failing"))
    bad = flagged.filter(pl.col("_failing"))
    reason = pl.when(checks[0][0].fill_null(False)).then(pl.lit(checks[0][1]))
    for condition, name in checks[1:]:
        reason = reason.when(condition.fill_null(False)).then(pl.lit(name))
    rejected = bad.select(
        "source_file", "line_no", reason.otherwise(pl.lit("invalid_record")).alias("reason"),
        pl.col("line").alias("record"),
    )
    return flagged.filter(~pl.col("_failing")).drop("_failing"), rejected


def rejects_to_jsonl(rejected: pl.DataFrame) -> bytes:
    """Quarantine file content: one JSON object per rejected record, with its reason."""
    if rejected.is_empty():
        return b""
    buffer = io.BytesIO()
    rejected.sort("source_file", "line_no").write_ndjson(buffer)
    return buffer.getvalue()
