"""Parsing JSON-lines batches into typed records, with a reason for every line that is rejected.

JSON syntax, the JSON type of each field and the reason a line is rejected are worked out in DuckDB
(one vectorised pass over all lines, no per-line Python), so a broken line costs no more than a good
one and never stops the batch.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

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


LINE_COLUMNS = {"source_file": pl.String, "line_no": pl.Int64, "line": pl.String, "invalid_utf8": pl.Boolean}


def split_lines(files: Sequence[tuple[str, bytes]]) -> pl.DataFrame:
    """One row per non-blank line of each file: ``source_file``, ``line_no`` (1-based), ``line``,
    and ``invalid_utf8``: whether the line's bytes are not UTF-8 (they read as U+FFFD here and the
    line is rejected later; a genuine U+FFFD in valid UTF-8 is just a character).
    """
    frames = []
    for name, data in files:
        if not data or data.isspace():  # (strip would copy the whole batch)
            continue
        frame = _read_lines(data).select(
            pl.lit(name).alias("source_file"),
            pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("line_no"),
            "line",
            "invalid_utf8",
        )
        # Blank lines are rare and never start with "{": only the lines that do not are searched
        # for a non-blank character, and the batch is filtered only when one is blank.
        odd = frame.filter(~pl.col("line").str.starts_with("{").fill_null(False))
        blank = odd.filter(~pl.col("line").str.contains(r"\S").fill_null(False))["line_no"]
        frames.append(frame.filter(~pl.col("line_no").is_in(blank.implode())) if blank.len() else frame)
    if not frames:
        return pl.DataFrame(schema=LINE_COLUMNS)
    return pl.concat(frames, rechunk=False)


def _read_lines(data: bytes) -> pl.DataFrame:
    """The lines of one batch (without their ``\\n`` or ``\\r\\n``) as a ``line`` column, and
    ``invalid_utf8``."""
    if b"\x1f" in data:
        # read_csv splits on its separator, the unit separator here, and would cut such a line
        # short (and might make it valid JSON): these rare batches are split in Python instead.
        raw = data.split(b"\n")
        if raw[-1] == b"":
            raw.pop()
        lines = [_decode_line(item.removesuffix(b"\r")) for item in raw]
        return pl.DataFrame(
            {"line": [text for text, _ in lines], "invalid_utf8": [bad for _, bad in lines]},
            schema={"line": pl.String, "invalid_utf8": pl.Boolean},
        )
    frame = pl.read_csv(
        io.BytesIO(data),
        has_header=False,
        separator="\x1f",
        quote_char=None,
        new_columns=["line"],
        schema={"line": pl.String},
        encoding="utf8-lossy",
    )
    return frame.with_columns(_invalid_utf8(data, frame["line"]))


def _decode_line(raw: bytes) -> tuple[str, bool]:
    try:
        return raw.decode("utf-8"), False
    except UnicodeDecodeError:
        return raw.decode("utf-8", errors="replace"), True


def _invalid_utf8(data: bytes, lines: pl.Series) -> pl.Series:
    """Which of ``lines`` (read from ``data`` with invalid bytes replaced by U+FFFD, one row per
    ``\\n``-separated line) were not valid UTF-8 in ``data``.

    Only lines that hold a U+FFFD can be (rare), and only their bytes are decoded. Each one's place
    in ``data`` comes from the byte lengths of the lines before it, which equal the lines' own
    wherever no U+FFFD stands in (and no ``\\r`` was cut off, else ``data`` is split outright).
    """
    candidates = lines.str.contains("\ufffd", literal=True).fill_null(False)
    invalid = pl.zeros(lines.len(), pl.Boolean, eager=True).alias("invalid_utf8")
    if not candidates.any():
        return invalid
    rows = candidates.arg_true().to_list()
    if b"\r" in data:
        raw = data.split(b"\n")
        bad = [_decode_line(raw[row].removesuffix(b"\r"))[1] for row in rows]
        return invalid.scatter([row for row, flag in zip(rows, bad) if flag], True)
    # Where each line starts if every line had its own byte length (plus its newline).
    starts = (lines.str.len_bytes().fill_null(0).cast(pl.Int64) + 1).cum_sum().shift(1, fill_value=0)
    estimated = starts.gather(rows).to_list()
    drift, bad_rows = 0, []
    for row, start in zip(rows, estimated):
        start += drift
        end = data.find(b"\n", start)
        end = len(data) if end < 0 else end
        if _decode_line(data[start:end])[1]:
            bad_rows.append(row)
        # The line's bytes may be longer or shorter than its text: the lines after it move.
        drift += (end - start) - len(lines[row].encode("utf-8"))
    return invalid.scatter(bad_rows, True) if bad_rows else invalid


def parse_records(lines: pl.DataFrame, schema: RecordSchema) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split ``lines`` (from :func:`split_lines`) into typed records and rejected lines.

    Returns ``(records, rejected)``: ``records`` has ``source_file``, ``line_no``, ``line`` and one
    column per schema field; ``rejected`` has ``source_file``, ``line_no``, ``reason``, ``record``.
    """
    return split_rejected(parse_lines(lines, schema))


def parse_lines(lines: pl.DataFrame, schema: RecordSchema) -> pl.DataFrame:
    """Every line of ``lines`` with one column per schema field and the ``reason`` it is rejected
    for (null when it parsed). Callers that check more rules pass this to :func:`apply_checks`,
    which splits the batch once for all of them."""
    connection = duckdb.connect()
    try:
        # Only the lines go to DuckDB and only the reason and the record come back: the rest of
        # the frame stays in Polars, and DuckDB keeps the row order of a plain projection.
        # String views on both sides: the strings cross from Polars to DuckDB and back uncopied.
        connection.sql("SET produce_arrow_string_view = true")
        connection.register("lines", lines.select("line").to_arrow(compat_level=pl.CompatLevel.newest()))
        parsed = connection.sql(_parse_sql(schema)).pl()
    finally:
        connection.close()
    if parsed.height != lines.height:
        raise RuntimeError(f"parsing returned {parsed.height} rows for {lines.height} lines")
    reason = _strict_json(lines["line"], parsed["reason"])
    # Bytes that are not UTF-8 come first: whatever else the line says was read from a guess.
    reason = pl.select(pl.when(lines["invalid_utf8"]).then(pl.lit("invalid_utf8")).otherwise(reason)).to_series()
    return lines.hstack(parsed.with_columns(reason.alias("reason"))).unnest("record")


#: What DuckDB's JSON reader accepts beyond RFC 8259: NaN and Infinity, and trailing commas
#: (before JSON's own whitespace; ASCII only, which keeps the search on the fast engine).
_NON_JSON = r"(?-u:NaN|Infinity|,[ \t\r\n]*[\]}])"


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _is_strict_json(line: str) -> bool:
    try:
        json.loads(line, parse_constant=_reject_constant)
        return True
    except ValueError:
        return False


def _strict_json(lines: pl.Series, reason: pl.Series) -> pl.Series:
    """``reason`` with ``invalid_json`` for the lines DuckDB read that are not RFC 8259 JSON (a
    ``NaN`` is ``invalid_json``, not a number of the wrong type).

    Only lines that hold one of the extensions' tokens (most often inside a string, where they are
    fine) are read again, by Python's strict parser.
    """
    suspects = (reason.ne_missing("invalid_json") & lines.str.contains(_NON_JSON).fill_null(False)).arg_true()
    if suspects.is_empty():
        return reason
    bad = [row for row, line in zip(suspects.to_list(), lines.gather(suspects).to_list()) if not _is_strict_json(line)]
    return reason.scatter(bad, "invalid_json") if bad else reason


def _parse_sql(schema: RecordSchema) -> str:
    """One DuckDB pass: the first rule each line breaks (NULL if none), and its typed record.

    json_type and json_transform run only on syntactically valid lines (CASE evaluates a branch
    on the rows that take it), which keeps the whole batch vectorised.
    """
    paths = ["$"] + [f"$.{item.name}" for item in schema.fields]
    # Each field's JSON type once, as its own column ('NULL' when absent), for the rules below.
    fields = list(enumerate(schema.fields, start=2))
    type_columns = ", ".join(f"coalesce(types[{position}], 'NULL') AS t{position}" for position, _ in fields)
    rules = [
        ("types IS NULL", "invalid_json"),
        ("types[1] <> 'OBJECT'", "not_an_object"),
    ]
    for position, item in fields:
        if item.required:
            rules.append((f"t{position} = 'NULL'", f"missing_field:{item.name}"))
        accepted = ", ".join(_sql_string(name) for name in ("NULL", *_ACCEPTED_JSON_TYPES[item.kind]))
        rules.append((f"t{position} NOT IN ({accepted})", f"wrong_type:{item.name}"))
    # After the transform: a record that did not come out, or an integer beyond BIGINT, which
    # json_transform turns into NULL without a word.
    after = [("record IS NULL", "unparseable_record")] + [
        (f"record.{item.name} IS NULL AND t{position} = 'UBIGINT'", f"invalid_value:{item.name}")
        for position, item in fields
        if item.kind == "int"
    ]
    int_types = "".join(f"t{position}, " for position, item in fields if item.kind == "int")
    typed = (
        f"SELECT line, types, {type_columns} FROM "
        f"(SELECT line, CASE WHEN json_valid(line) THEN json_type(line, {paths!r}) END AS types FROM lines)"
    )
    checked = f"SELECT line, {int_types}{_first_rule(rules)} AS reason FROM ({typed})"
    transformed = (
        f"SELECT {int_types}reason, CASE WHEN reason IS NULL "
        f"THEN json_transform(line, {_sql_string(schema.transform_spec())}) END AS record FROM ({checked})"
    )
    return f"SELECT coalesce(reason, {_first_rule(after)}) AS reason, record FROM ({transformed})"


def _first_rule(rules: Sequence[tuple[str, str]]) -> str:
    return "CASE " + " ".join(f"WHEN {rule} THEN {_sql_string(name)}" for rule, name in rules) + " END"


Check = tuple[pl.Expr, str]


def apply_checks(frame: pl.DataFrame, checks: Sequence[Check]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split ``frame`` into rows that pass every check and rows rejected with the first they fail.

    ``checks`` are ``(condition that rejects, reason)`` pairs. A ``reason`` column already on
    ``frame`` (from :func:`parse_lines`) comes before them.
    """
    return split_rejected(frame.with_columns(first_failed(checks, prior="reason" in frame.columns)))


def first_failed(checks: Sequence[Check], prior: bool = False) -> pl.Expr:
    """The ``reason`` of the first check a row fails, null if it passes them all; with ``prior``,
    a ``reason`` the row already has comes first."""
    reason = pl.lit(None, pl.String)
    for condition, name in reversed(checks):
        reason = pl.when(condition.fill_null(False)).then(pl.lit(name)).otherwise(reason)
    return (pl.coalesce("reason", reason) if prior else reason).alias("reason")


def split_rejected(frame: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Rows whose ``reason`` is null (without that column), and the others as quarantine rows."""
    if "reason" not in frame.columns:
        return frame, empty_rejects()
    return frame.filter(pl.col("reason").is_null()).drop("reason"), rejected_rows(frame)


def rejected_rows(frame: pl.DataFrame) -> pl.DataFrame:
    """The rows of ``frame`` with a ``reason``, as quarantine rows (``record`` is the line)."""
    # Lazily: an eager select would first align the chunks of every column it takes (a copy).
    quarantine = frame.lazy().select("source_file", "line_no", "reason", pl.col("line").alias("record"))
    return quarantine.filter(pl.col("reason").is_not_null()).collect()


def rejects_to_jsonl(rejected: pl.DataFrame) -> bytes:
    """Quarantine file content: one JSON object per rejected record, with its reason."""
    if rejected.is_empty():
        return b""
    buffer = io.BytesIO()
    rejected.sort("source_file", "line_no").write_ndjson(buffer)
    return buffer.getvalue()
