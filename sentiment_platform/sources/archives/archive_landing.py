"""Landing an archive: its posts (and their authors) per hour in the landing zone under names
derived from their content, its refused rows in the quarantine with the line and the reason.

Importing the same file again writes the same objects under the same names, so it changes
nothing; the cleansing that follows keeps each distinct post once.
"""

from __future__ import annotations

import hashlib
import io
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl
import pyarrow as pa

from sentiment_platform.lib.lake_layout import landing_prefix
from sentiment_platform.lib.partition_hours import PARTITIONS_START
from sentiment_platform.sources.archives.field_mapping import (
    LANDING_POST_COLUMNS,
    LINE,
    MEDIA,
    REASON,
    RECORD,
    ImportOptions,
    landing_posts,
)
from sentiment_platform.sources.archives.formats import ArchiveError, ArchiveFormat

if TYPE_CHECKING:  # the lake is a resource: the sources only type-hint it
    from sentiment_platform.lib.lake_store import LakeStore

#: Where an import's refused rows go (one object per batch, named by its content).
IMPORT_QUARANTINE = "quarantine/imports/"


@dataclass
class ImportReport:
    """What an import landed and refused."""

    rows_in: int = 0
    landed: int = 0
    users: int = 0
    objects_written: int = 0
    objects_unchanged: int = 0
    landed_per_day: Counter[date] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)
    first_hour: datetime | None = None
    last_hour: datetime | None = None

    @property
    def refused_rows(self) -> int:
        return sum(self.refused.values())

    def note_hours(self, hours: Sequence[datetime]) -> None:
        """Widen the range of hours landed to ``hours``."""
        low, high = min(hours), max(hours)
        self.first_hour = low if self.first_hour is None else min(self.first_hour, low)
        self.last_hour = high if self.last_hour is None else max(self.last_hour, high)


def _name(content: bytes) -> str:
    return f"import-{hashlib.sha256(content).hexdigest()[:24]}.jsonl"


def _ndjson(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_ndjson(buffer)
    return buffer.getvalue()


def _write(storage: LakeStore, key: str, content: bytes, report: ImportReport) -> None:
    if storage.exists(key):  # same name, same content: written by an earlier import
        report.objects_unchanged += 1
        return
    storage.write_bytes(key, content)
    report.objects_written += 1


def land_batch(
    storage: LakeStore,
    fields: pl.DataFrame,
    options: ImportOptions,
    source_file: str,
    report: ImportReport,
    start: datetime = PARTITIONS_START,
) -> None:
    """Land one batch of post fields: each hour's posts as one landing batch, the authors named
    beside them as a users batch of the same hour, the refused rows in the quarantine."""
    if fields.is_empty():
        return
    posts = landing_posts(fields, options, start)  # row for row
    report.rows_in += posts.height
    refused_rows = posts[REASON].is_not_null()
    kept = posts.filter(~refused_rows)
    if refused_rows.any():
        _quarantine(storage, fields.filter(refused_rows), posts.filter(refused_rows)[REASON], source_file, report)
    if kept.is_empty():
        return
    kept = kept.with_columns(pl.col("created_at_ts").dt.truncate("1h").alias("_hour"))
    for (hour,), group in kept.partition_by("_hour", as_dict=True, maintain_order=True).items():
        columns = [c for c in LANDING_POST_COLUMNS if c != MEDIA or group[MEDIA].is_not_null().any()]
        content = _ndjson(group.select(columns))
        _write(storage, landing_prefix("posts", hour) + _name(content), content, report)
        authors = _authors(group)
        if authors.height:
            users = _ndjson(authors)
            _write(storage, landing_prefix("users", hour) + _name(users), users, report)
            report.users += authors.height
    report.landed += kept.height
    report.landed_per_day.update(dict(kept.group_by(pl.col("created_at_ts").dt.date()).len().iter_rows()))
    report.note_hours(kept["_hour"].unique().to_list())


def _authors(posts: pl.DataFrame) -> pl.DataFrame:
    """One user record per author the batch names a handle or a name for."""
    named = posts.filter(pl.any_horizontal(pl.col(name).is_not_null() for name in ("handle", "name")))
    return named.unique("author_id", keep="first", maintain_order=True).select(
        pl.col("author_id").alias("user_id"),
        pl.coalesce("handle", "author_id").alias("handle"),
        "name",
        pl.col("followers_count").cast(pl.Int64, strict=False),
    )


def _quarantine(
    storage: LakeStore, fields: pl.DataFrame, reasons: pl.Series, source_file: str, report: ImportReport
) -> None:
    """The refused rows as read, with their line and reason."""
    report.refused.update(dict(reasons.str.split(":").list.first().value_counts().iter_rows()))
    mapped = [name for name in fields.columns if not name.startswith("_")]
    record = pl.struct(mapped).struct.json_encode() if mapped else pl.lit(None, pl.String)
    rows = fields.select(
        pl.lit(source_file).alias("source_file"),
        pl.col(LINE).alias("line_no"),
        reasons.alias("reason"),
        # The line as read (JSON formats), else the row's mapped fields as read (CSV).
        pl.coalesce(RECORD, record).alias("record"),
    )
    content = _ndjson(rows)
    _write(storage, IMPORT_QUARANTINE + _name(content), content, report)


def import_archives(
    storage: LakeStore,
    paths: Sequence[Path],
    archive_format: ArchiveFormat,
    options: ImportOptions,
    start: datetime = PARTITIONS_START,
    on_batch: Callable[[ImportReport], None] | None = None,
) -> ImportReport:
    """Land every file of ``paths`` (read as ``archive_format``); returns what landed and was refused.
    Raises :class:`~sentiment_platform.sources.archives.formats.ArchiveError` for a file that
    cannot be read at all (before anything of that file lands)."""
    report = ImportReport()
    if archive_format.source:
        options = replace(options, source=archive_format.source)
    for path in paths:
        try:
            for fields in archive_format.field_batches(path, options):
                land_batch(storage, fields, options, path.name, report, start)
                if on_batch:
                    on_batch(report)
        except (OSError, pa.ArrowInvalid) as error:  # a file cut short, a compressed stream that breaks
            raise ArchiveError(f"{path}: unreadable past this point ({error}); what came before landed") from None
    return report
