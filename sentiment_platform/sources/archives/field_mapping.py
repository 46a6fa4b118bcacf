"""From an archive's own fields to landing post records: which column is which field, how its times
are written, and the rules that refuse a row (each with a reason, for the quarantine)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import polars as pl

from sentiment_platform.lib.cleansing.timestamps import parse_timestamps
from sentiment_platform.lib.partition_hours import PARTITIONS_START_SETTING

#: The landing fields of a post an archive can fill, and the author's fields (for the users dataset).
POST_FIELDS = (
    "id",
    "text",
    "created_at",
    "author_id",
    "topic",
    "lang",
    "in_reply_to_id",
    "retweet_of_id",
    "like_count",
    "repost_count",
    "reply_count",
)
COUNT_FIELDS = ("like_count", "repost_count", "reply_count")
AUTHOR_FIELDS = ("handle", "name", "followers_count")
MAPPABLE_FIELDS = POST_FIELDS + AUTHOR_FIELDS
#: The author of a post whose archive names none, neither by id nor by handle (most CSV exports of
#: search results): the documented placeholder, so the post is kept, under one unknown author.
PLACEHOLDER_AUTHOR = "unknown"
#: Columns every batch of fields carries beside the fields: where the row was, why it is refused
#: already (null if it is not), and the row as read, for the quarantine.
LINE, REASON, RECORD = "_line", "_reason", "_record"
#: A post's images as the native formats give them: each one's ``path`` is its URL until a live
#: source downloads it into the landing zone (an import keeps the URL: ``raw_images`` quarantines
#: it as ``not_downloaded``, the post keeps its text).
MEDIA = "media"
MEDIA_TYPE = pl.List(pl.Struct({"media_key": pl.String, "type": pl.String, "path": pl.String, "alt_text": pl.String}))
#: The landing post record's fields, in the order they are written (``media`` only where a batch has some).
LANDING_POST_COLUMNS = (*POST_FIELDS, MEDIA, "source")


def parse_mapping(text: str | None) -> dict[str, str]:
    """``id=tweet_id,text=body`` as ``{"id": "tweet_id", "text": "body"}``; raises ``ValueError``
    for an unknown field or a malformed pair."""
    mapping: dict[str, str] = {}
    for pair in (text or "").split(","):
        if not pair.strip():
            continue
        name, sep, column = pair.partition("=")
        name, column = name.strip(), column.strip()
        if not sep or not name or not column:
            raise ValueError(f"--map: {pair!r} is not FIELD=COLUMN")
        if name not in MAPPABLE_FIELDS:
            raise ValueError(f"--map: unknown field {name!r}; the fields are {', '.join(MAPPABLE_FIELDS)}")
        mapping[name] = column
    return mapping


@dataclass(frozen=True)
class TimeReading:
    """How an archive writes its times: a strptime ``time_format`` (None: ISO 8601, or seconds since
    the epoch), and the IANA ``timezone`` of times written without an offset."""

    time_format: str | None = None
    timezone: str = "UTC"

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"--timezone: {self.timezone!r} is not an IANA time zone (such as Europe/Paris)") from None

    def parse(self, text: pl.Series) -> pl.Series:
        """``text`` as UTC datetimes; null where it does not read as a time (or names a local time
        that does not exist, in the hour clocks skip in spring). An ambiguous local time (the hour
        repeated in autumn) is read as its first occurrence."""
        text = text.str.strip_chars()
        if self.time_format is None:
            return parse_timestamps(text).fill_null(self._local(text, None)).fill_null(_epoch_seconds(text))
        if "%z" in self.time_format or "%Z" in self.time_format:
            return text.str.to_datetime(self.time_format, time_zone="UTC", time_unit="us", strict=False)
        return self._local(text, self.time_format)

    def _local(self, text: pl.Series, time_format: str | None) -> pl.Series:
        if time_format is None:  # ISO 8601 without an offset, with a T or a space
            text = text.str.replace(" ", "T", literal=True)
            naive = pl.coalesce(
                text.str.to_datetime(pattern, time_unit="us", strict=False)
                for pattern in ("%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M")
            )
        else:
            naive = text.str.to_datetime(time_format, time_unit="us", strict=False)
        local = naive.dt.replace_time_zone(self.timezone, ambiguous="earliest", non_existent="null")
        return local.dt.convert_time_zone("UTC")


def _epoch_seconds(text: pl.Series) -> pl.Series:
    seconds = text.cast(pl.Float64, strict=False)
    seconds = seconds.set(~seconds.is_between(0, 4_102_444_800).fill_null(False), None)  # up to 2100
    return (seconds * 1_000_000).cast(pl.Int64).cast(pl.Datetime("us")).dt.replace_time_zone("UTC")


@dataclass(frozen=True)
class ImportOptions:
    """What a user tells the importer about an archive (the command's options)."""

    mapping: dict[str, str] = field(default_factory=dict)
    time: TimeReading = TimeReading()
    topic: str | None = None
    source: str = "import"


def _derived_ids(frame: pl.DataFrame) -> pl.Series:
    """A stable id from what a post is (time, author, text), for archives without one."""
    digests = [
        "h" + hashlib.sha256(f"{created}\x1f{author}\x1f{text}".encode("utf-8", "surrogatepass")).hexdigest()[:24]
        for created, author, text in frame.select("created_at", "author_id", "text").iter_rows()
    ]
    return pl.Series("id", digests, dtype=pl.String)


def landing_posts(fields: pl.DataFrame, options: ImportOptions, start: datetime) -> pl.DataFrame:
    """Landing post records from a batch of ``fields`` (string columns named by the post and
    author fields, any of them absent, and ``_line``, ``_reason``, ``_record``).

    Returns the landing columns and ``created_at_ts``, the authors' fields and the three above,
    with ``_reason`` set for each row that cannot land: a missing text, id or time, a time that
    does not read, one before the partitions start, a count that is not a number.
    """
    present = set(fields.columns)
    frame = fields.with_columns(
        *(pl.lit(None, pl.String).alias(name) for name in MAPPABLE_FIELDS if name not in present),
        *([] if MEDIA in present else [pl.lit(None, MEDIA_TYPE).alias(MEDIA)]),
    ).with_columns(
        pl.col("text", "id", "created_at", "author_id", "topic", "lang", "in_reply_to_id", "retweet_of_id")
        .cast(pl.String)
        .str.strip_chars(" \t\r\n")
        .replace("", None),
    )
    frame = frame.with_columns(
        pl.coalesce("author_id", pl.col("handle").cast(pl.String), pl.lit(PLACEHOLDER_AUTHOR)).alias("author_id"),
        pl.col("topic").fill_null(pl.lit(options.topic or "unknown")),
        pl.lit(options.source).alias("source") if "source" not in present else pl.col("source"),
        options.time.parse(frame["created_at"].fill_null("")).alias("created_at_ts"),
        *(
            pl.col(name).cast(pl.String).str.strip_chars().replace("", None).alias(f"_{name}_text")
            for name in COUNT_FIELDS
        ),
    ).with_columns(
        # A count as an integer, null where it is not one (a negative one is cleansing's to refuse).
        pl.col(f"_{name}_text").cast(pl.Float64, strict=False).cast(pl.Int64, strict=False).alias(name)
        for name in COUNT_FIELDS
    )
    if "id" not in present:  # an archive without ids (the native formats always have one)
        frame = frame.with_columns(_derived_ids(frame))
    checks = [
        (pl.col("text").is_null(), "missing_field:text"),
        (pl.col("id").is_null(), "missing_field:id"),
        (pl.col("created_at").is_null(), "missing_field:created_at"),
        (pl.col("created_at_ts").is_null(), "invalid_timestamp:created_at"),
        (pl.col("created_at_ts") < start, f"before_partitions_start:{PARTITIONS_START_SETTING}={start:%Y-%m-%d}"),
        *(
            (pl.col(name).is_null() & pl.col(f"_{name}_text").is_not_null(), f"invalid_value:{name}")
            for name in COUNT_FIELDS
        ),
    ]
    reason = pl.col(REASON)
    for condition, name in checks:
        reason = pl.coalesce(reason, pl.when(condition.fill_null(False)).then(pl.lit(name)))
    return frame.with_columns(
        reason.alias(REASON),
        pl.col("created_at_ts").dt.strftime("%Y-%m-%dT%H:%M:%S%.fZ").alias("created_at"),
    ).drop(f"_{name}_text" for name in COUNT_FIELDS)
