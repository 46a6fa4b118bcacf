"""The archive formats ``sentiment-platform import`` reads, each a small class, chosen in one place
(:data:`FORMATS`). Each reads a file as a stream and yields batches of post fields
(see :func:`~sentiment_platform.sources.archives.field_mapping.landing_posts`), one batch in
memory at a time."""

from __future__ import annotations

import csv
import functools
import io
import operator
from collections.abc import Iterator, Sequence
from pathlib import Path

import duckdb
import numpy as np
import orjson
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from sentiment_platform.sources.archives.field_mapping import (
    COUNT_FIELDS,
    LINE,
    MAPPABLE_FIELDS,
    MEDIA,
    MEDIA_TYPE,
    REASON,
    RECORD,
    ImportOptions,
)
from sentiment_platform.sources.archives.native_formats import NATIVE_FORMATS, NotAPost
from sentiment_platform.sources.archives.streams import arrow_stream, binary_stream, line_batches


class ArchiveError(ValueError):
    """An archive that cannot be read at all (a mapping that names no column of it, no header):
    the command stops with this message before anything lands."""


class ArchiveFormat:
    """A way of reading an archive file into batches of post fields."""

    #: The ``source`` its posts record; None for the tabular formats, which take ``--source``.
    source: str | None = None
    #: Whether the format needs ``--map`` (the tabular ones); native formats know their fields.
    mapped: bool = False

    def field_batches(self, path: Path, options: ImportOptions) -> Iterator[pl.DataFrame]:
        raise NotImplementedError


def _required_mapping(options: ImportOptions) -> None:
    missing = [name for name in ("text", "created_at") if name not in options.mapping]
    if missing:
        raise ArchiveError(
            f"--map must name the columns of {' and '.join(missing)} (e.g. --map text=COL,created_at=COL)"
        )


def _strings(column: pa.Array | pa.ChunkedArray) -> tuple[pl.Series, pl.Series | None]:
    """A binary column as strings, and which rows were not UTF-8 (None when all were: the common
    case, checked by Arrow in one pass; only a failing column is decoded row by row)."""
    try:
        return pl.from_arrow(pc.cast(column, pa.large_string())), None
    except pa.ArrowInvalid:
        values = column.to_pylist()
        decoded, invalid = [], []
        for value in values:
            try:
                decoded.append(None if value is None else value.decode("utf-8"))
                invalid.append(False)
            except UnicodeDecodeError:
                decoded.append(value.decode("utf-8", errors="replace"))
                invalid.append(True)
        return pl.Series(decoded, dtype=pl.String), pl.Series(invalid, dtype=pl.Boolean)


class CsvFormat(ArchiveFormat):
    """A CSV file with a header row (RFC 4180: quoted fields may hold commas, quotes and newlines),
    read by Arrow's streaming reader, only the mapped columns. ``_line`` is the row's
    number, the header being 1 (the file's line unless a field before it spans lines); a malformed
    row (the wrong number of fields) is refused with its number. The quarantine stores each refused
    row beside its reason."""

    mapped = True
    #: Arrow reads ahead several blocks: small ones keep its memory small. The blocks' rows are
    #: gathered into batches of ``rows_per_batch`` so that each hour gets few, large landing files.
    block_size = 1 << 20
    rows_per_batch = 200_000

    def _header(self, path: Path) -> list[str]:
        with binary_stream(path) as stream:
            first = stream.readline(1 << 20).decode("utf-8-sig", errors="replace")
        header = next(csv.reader(io.StringIO(first)), [])
        if not header:
            raise ArchiveError(f"{path}: no header row")
        return header

    def field_batches(self, path: Path, options: ImportOptions) -> Iterator[pl.DataFrame]:
        _required_mapping(options)
        header = self._header(path)
        absent = sorted({column for column in options.mapping.values() if column not in header})
        if absent:
            raise ArchiveError(f"{path}: no column {', '.join(map(repr, absent))}; its columns are {', '.join(header)}")
        columns = list(dict.fromkeys(options.mapping.values()))
        try:
            yield from self._batches(path, options, columns)
        except pa.ArrowInvalid as error:  # beyond a bad row: an unterminated quote, a broken stream
            raise ArchiveError(
                f"{path}: not readable as CSV past this point ({error}); what came before landed"
            ) from None

    def _batches(self, path: Path, options: ImportOptions, columns: list[str]) -> Iterator[pl.DataFrame]:
        malformed: list[tuple[int | None, str]] = []

        def on_invalid_row(row) -> str:
            malformed.append((row.number, row.text))
            return "skip"

        reader = pa_csv.open_csv(
            arrow_stream(path),
            read_options=pa_csv.ReadOptions(block_size=self.block_size, use_threads=False),
            parse_options=pa_csv.ParseOptions(newlines_in_values=True, invalid_row_handler=on_invalid_row),
            convert_options=pa_csv.ConvertOptions(
                include_columns=columns, column_types=dict.fromkeys(columns, pa.binary()), strings_can_be_null=False
            ),
        )
        rows_before, gathered, numbering = 0, [], _RowNumbers()
        for batch in reader:
            numbering.note_malformed(number for number, _ in malformed)
            gathered.append(self._fields(batch, options, numbering.numbers(rows_before, batch.num_rows)))
            rows_before += batch.num_rows
            if sum(frame.height for frame in gathered) >= self.rows_per_batch:
                yield pl.concat(gathered)
                gathered = []
            if malformed:
                yield _malformed(malformed)
                malformed.clear()
        if gathered:
            yield pl.concat(gathered)
        if malformed:
            yield _malformed(malformed)

    def _fields(self, batch: pa.RecordBatch, options: ImportOptions, numbers: pl.Series) -> pl.DataFrame:
        decoded = {column: _strings(batch.column(column)) for column in dict.fromkeys(options.mapping.values())}
        fields = pl.DataFrame({name: decoded[column][0].alias(name) for name, column in options.mapping.items()})
        invalid = [flags for _, flags in decoded.values() if flags is not None]
        reason = pl.lit(None, pl.String)
        if invalid:
            reason = pl.when(functools.reduce(operator.or_, invalid)).then(pl.lit("invalid_utf8")).otherwise(reason)
        return fields.with_columns(numbers.alias(LINE), reason.alias(REASON), pl.lit(None, pl.String).alias(RECORD))


class _RowNumbers:
    """The row number of each data row read (the header is row 1), counting the malformed rows
    the reader skipped: it reports each one's number as it parses its block, before the block's
    rows come out."""

    def __init__(self) -> None:
        self.skipped = 0  # malformed rows before the rows numbered so far
        self.pending: list[int] = []  # malformed rows not yet passed

    def note_malformed(self, numbers) -> None:
        self.pending = sorted({*self.pending, *(number for number in numbers if number is not None)})

    def numbers(self, rows_before: int, count: int) -> pl.Series:
        numbers = np.arange(count, dtype=np.int64) + rows_before + 2 + self.skipped
        while self.pending and count and self.pending[0] <= numbers[-1]:
            numbers[numbers >= self.pending.pop(0)] += 1
            self.skipped += 1
        return pl.Series(numbers)


def _malformed(rows: list[tuple[int | None, str]]) -> pl.DataFrame:
    """CSV rows with the wrong number of fields, as refused rows."""
    return pl.DataFrame(
        {LINE: [number for number, _ in rows], REASON: ["malformed_csv_row"] * len(rows), RECORD: [t for _, t in rows]},
        schema={LINE: pl.Int64, REASON: pl.String, RECORD: pl.String},
    )


def _decoded_lines(lines: list[bytes | None]) -> tuple[list[str | None], list[str | None]]:
    """Lines as text, and the reason each is refused before it is read (too long, not UTF-8)."""
    texts: list[str | None] = []
    reasons: list[str | None] = []
    for line in lines:
        if line is None:
            texts.append(None)
            reasons.append("oversize_line")
            continue
        try:
            texts.append(line.decode("utf-8"))
            reasons.append(None)
        except UnicodeDecodeError:
            texts.append(line.decode("utf-8", errors="replace"))
            reasons.append("invalid_utf8")
    return texts, reasons


def _json_path(key: str) -> str:
    """A dotted key (``user.screen_name``) as a DuckDB JSON path, each segment quoted."""
    return "$." + ".".join('"' + segment.replace("\\", "\\\\").replace('"', '\\"') + '"' for segment in key.split("."))


class JsonlFormat(ArchiveFormat):
    """JSON lines, one object per line; ``--map`` names each field's key (dotted for nested keys:
    ``user.id``). Read in DuckDB, a batch at a time."""

    mapped = True

    def field_batches(self, path: Path, options: ImportOptions) -> Iterator[pl.DataFrame]:
        _required_mapping(options)
        for first, lines in line_batches(path):
            texts, reasons = _decoded_lines(lines)
            frame = pl.DataFrame(
                {LINE: pl.int_range(first, first + len(lines), eager=True), RECORD: texts, "_prior": reasons},
                schema={LINE: pl.Int64, RECORD: pl.String, "_prior": pl.String},
            ).filter(pl.col(RECORD).str.contains(r"\S").fill_null(True))
            yield self._extract(frame, options)

    def _extract(self, frame: pl.DataFrame, options: ImportOptions) -> pl.DataFrame:
        selects = ", ".join(
            f"CASE WHEN valid THEN json_extract_string(line, '{_json_path(key).replace(chr(39), chr(39) * 2)}') END "
            f'AS "{name}"'
            for name, key in options.mapping.items()
        )
        connection = duckdb.connect()
        try:
            connection.register("lines", frame.select(pl.col(RECORD).alias("line")).to_arrow())
            extracted = connection.sql(
                f"SELECT {selects}, CASE WHEN line IS NULL THEN NULL WHEN NOT json_valid(line) THEN 'invalid_json' "
                "WHEN NOT valid THEN 'not_an_object' END AS _shape FROM (SELECT line, CASE WHEN json_valid(line) "
                "THEN json_type(line) = 'OBJECT' ELSE false END AS valid FROM lines)"
            ).pl()
        finally:
            connection.close()
        return pl.concat([frame, extracted], how="horizontal").select(
            *options.mapping, LINE, pl.coalesce("_prior", "_shape").alias(REASON), RECORD
        )


_NATIVE_SCHEMA = {
    **{name: pl.Int64 if name in (*COUNT_FIELDS, "followers_count") else pl.String for name in MAPPABLE_FIELDS},
    MEDIA: MEDIA_TYPE,
}


def fields_frame(rows: Sequence[dict]) -> pl.DataFrame:
    """Post fields given as dicts (any field absent) as a batch of fields, as the formats give them."""
    return pl.DataFrame(list(rows), schema={**_NATIVE_SCHEMA, LINE: pl.Int64, REASON: pl.String, RECORD: pl.String})


class NativeFormat(ArchiveFormat):
    """A network's own JSON, one object per line (see
    :mod:`~sentiment_platform.sources.archives.native_formats`); a line may hold several posts
    (a page), each keeps the line's number."""

    def __init__(self, name: str) -> None:
        self.convert, self.source = NATIVE_FORMATS[name]

    def field_batches(self, path: Path, options: ImportOptions) -> Iterator[pl.DataFrame]:
        for first, lines in line_batches(path, lines_per_batch=10_000):
            texts, reasons = _decoded_lines(lines)
            fields = self.fields_of(texts, reasons, first)
            if not fields.is_empty():
                yield fields

    def fields_of(
        self, texts: Sequence[str | None], reasons: Sequence[str | None] | None = None, first: int = 1
    ) -> pl.DataFrame:
        """The post fields of records already read (a file's lines, or what a live source
        received), numbered from ``first``; ``reasons`` refuses a record before it is parsed."""
        rows: list[dict] = []
        for number, (text, reason) in enumerate(zip(texts, reasons or [None] * len(texts)), start=first):
            if text is not None and not text.strip():
                continue
            for fields, refused in self._posts(text, reason):
                rows.append({**fields, LINE: number, REASON: refused, RECORD: text})
        return fields_frame(rows)

    def _posts(self, text: str | None, reason: str | None) -> list[tuple[dict, str | None]]:
        if reason is not None or text is None:
            return [({}, reason or "oversize_line")]
        try:
            value = orjson.loads(text)
        except orjson.JSONDecodeError:
            return [({}, "invalid_json")]
        try:
            posts = self.convert(value)
        except NotAPost as refused:
            return [({}, str(refused))]
        except (TypeError, ValueError, OverflowError, OSError, AttributeError):
            return [({}, "unparseable_record")]
        if not posts:
            return [({}, "not_a_post:empty page")]
        return [(post, None) for post in posts]


class FeedFormat(ArchiveFormat):
    """A saved news feed (RSS 2.0, Atom, RSS 1.0): one document, its entries the posts (see
    :mod:`~sentiment_platform.sources.live.feeds`); ``--topic`` gives them a topic."""

    source = "rss"

    def field_batches(self, path: Path, options: ImportOptions) -> Iterator[pl.DataFrame]:
        from sentiment_platform.sources.live.feeds import MAX_FEED_BYTES, FeedError, feed_posts

        if path.stat().st_size > MAX_FEED_BYTES:
            raise ArchiveError(f"{path}: a feed over {MAX_FEED_BYTES // 2**20} MiB is not read")
        try:
            posts = feed_posts(path.read_bytes(), path.name, options.topic)
        except FeedError as error:
            raise ArchiveError(f"{path}: {error}") from None
        yield fields_frame([{**post, LINE: number} for number, post in enumerate(posts, start=1)])


#: Every format ``--format`` accepts, by name.
FORMATS: dict[str, ArchiveFormat] = {
    "csv": CsvFormat(),
    "jsonl": JsonlFormat(),
    **{name: NativeFormat(name) for name in NATIVE_FORMATS},
    "rss": FeedFormat(),
}
