"""Cleansing rules for landed posts, users and interactions (pure Polars, engine of the cleansed zone).

Every input line ends up in exactly one place: the cleaned output, the duplicate count (exact
re-sends and retweets), or the quarantine with a reason. ``records_in = cleaned + duplicates +
quarantined`` holds for every batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import polars as pl

from sentiment_platform.lib.cleansing.records import (
    Check,
    RecordField,
    RecordSchema,
    apply_checks,
    empty_rejects,
    first_failed,
    parse_lines,
    rejected_rows,
    split_lines,
)
from sentiment_platform.lib.cleansing.source_text import plain_texts
from sentiment_platform.lib.cleansing.text_features import (
    MAX_TERM_CHARS,
    VISIBLE_CHARACTER,
    nfkc,
    with_text_features,
)
from sentiment_platform.lib.cleansing.timestamps import parse_timestamp

POST_SCHEMA = RecordSchema(
    "posts",
    (
        RecordField("id", "string", required=True),
        RecordField("author_id", "string", required=True),
        RecordField("created_at", "string", required=True),
        RecordField("text", "string", required=True),
        RecordField("lang", "string"),
        RecordField("topic", "string"),
        RecordField("in_reply_to_id", "string"),
        RecordField("retweet_of_id", "string"),
        RecordField("source", "string"),
        RecordField("like_count", "int"),
        RecordField("repost_count", "int"),
        RecordField("reply_count", "int"),
        RecordField("media", "object_list", members=("path", "type", "media_key", "alt_text")),
    ),
)

USER_SCHEMA = RecordSchema(
    "users",
    (
        RecordField("user_id", "string", required=True),
        RecordField("handle", "string", required=True),
        RecordField("name", "string"),
        RecordField("location", "string"),
        RecordField("followers_count", "int"),
        RecordField("language", "string"),
        RecordField("created_at", "string"),
        RecordField("observed_at", "string"),
    ),
)

INTERACTION_SCHEMA = RecordSchema(
    "interactions",
    (
        RecordField("interaction_id", "string", required=True),
        RecordField("type", "string", required=True),
        RecordField("user_id", "string", required=True),
        RecordField("post_id", "string", required=True),
        RecordField("created_at", "string", required=True),
    ),
)

INTERACTION_TYPES = ("like", "reply", "repost")
ONE_HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class CleaningRules:
    """Limits applied while cleansing."""

    max_text_chars: int = 5_000


@dataclass
class CleaningResult:
    """The outcome of cleansing one batch: kept rows, rejected rows and the accounting."""

    cleaned: pl.DataFrame
    quarantined: pl.DataFrame
    records_in: int
    duplicates: int
    counts: dict[str, int] = field(default_factory=dict)

    def metadata(self) -> dict[str, int]:
        """Counts for asset metadata; ``records_in == cleaned + duplicates + quarantined``."""
        reasons = (
            self.quarantined.group_by(pl.col("reason").str.split(":").list.first()).len().rows()
            if self.quarantined.height
            else []
        )
        return {
            "records_in": self.records_in,
            "cleaned": self.cleaned.height,
            "duplicates": self.duplicates,
            "quarantined": self.quarantined.height,
            **self.counts,
            **{f"quarantined_{name}": count for name, count in sorted(reasons)},
        }


def drop_duplicates(frame: pl.DataFrame, key: str, content: Sequence[str]) -> tuple[pl.Series, int, pl.DataFrame]:
    """The first row per ``key`` in file and line order; rows with a ``reason`` take no part.

    Later rows with the same ``content`` are exact duplicates and only counted; later rows whose
    content differs are rejected as ``conflicting_duplicate_id`` rather than silently dropped.
    Returns ``(positions of the kept rows in frame, duplicate_count, rejected)``. Only the key
    columns of every row are touched (no copy of the whole frame): content is compared for the
    few ids seen more than once.
    """
    keys = frame.select(pl.int_range(pl.len(), dtype=pl.UInt32).alias("_row"), key, "source_file", "line_no")
    if "reason" in frame.columns:
        keys = keys.filter(frame["reason"].is_null())
    if not _in_file_order(keys):
        keys = keys.sort("source_file", "line_no")
    first = is_first_distinct(keys[key])
    kept, later = keys.filter(first), keys.filter(~first)["_row"]
    if later.is_empty():
        return kept["_row"], 0, empty_rejects()
    fingerprint = pl.struct(content).hash()
    repeated = frame.select(pl.col(key, "source_file", "line_no", "line", *content).gather(later)).with_columns(
        fingerprint.alias("_content")
    )
    originals = kept.filter(pl.col(key).is_in(repeated[key].implode()))["_row"]
    first_content = frame.select(pl.col(key, *content).gather(originals)).select(
        key, fingerprint.alias("_first_content")
    )
    compared = repeated.join(first_content, on=key, how="left")
    same, conflicts = apply_checks(
        compared, [(pl.col("_content") != pl.col("_first_content"), "conflicting_duplicate_id")]
    )
    return kept["_row"], same.height, conflicts


def is_first_distinct(keys: pl.Series) -> pl.Series:
    """``keys.is_first_distinct()``, found by sorting a 64-bit hash of the keys (several times faster
    on strings than a hash set of them) and checked: should two different keys share a hash, the
    keys themselves are compared."""
    hashes = keys.hash().alias("hash")
    # Sorted stably by hash, a row is the first of its key when its hash differs from the one before.
    order = hashes.to_frame().select(pl.arg_sort_by("hash", maintain_order=True)).to_series()
    in_order = hashes.gather(order)
    first_in_order = in_order.ne_missing(in_order.shift(1))
    later = (~first_in_order).arg_true()
    if (keys.gather(order.gather(later)) != keys.gather(order.gather(later - 1))).any():
        return keys.is_first_distinct()
    return pl.zeros(keys.len(), pl.Boolean, eager=True).scatter(order.filter(first_in_order), True).alias(keys.name)


def sort_by_time(frame: pl.DataFrame, key: str) -> pl.DataFrame:
    """``frame`` sorted by ``created_at``, then ``key``.

    Rows with the same time most often come in ``key`` order already (ids grow with time), so a
    stable sort on the time alone, checked, is tried first: several times faster than sorting on
    the string key too, which is done when the check fails.
    """
    by_time = frame.sort("created_at", maintain_order=True)
    time, ids = pl.col("created_at"), pl.col(key)
    if by_time.select(((time != time.shift()) | (ids > ids.shift())).fill_null(True).all()).item():
        return by_time
    return frame.sort("created_at", key)


def _in_file_order(frame: pl.DataFrame) -> bool:
    """Whether the rows are already in ``source_file``, ``line_no`` order (as split, most often)."""
    file, line = pl.col("source_file"), pl.col("line_no")
    after_previous = (file > file.shift()) | ((file == file.shift()) & (line > line.shift()))
    return bool(frame.select(after_previous.fill_null(True).all()).item())


#: Post columns whose equality makes a repeated id an exact duplicate (otherwise a conflict).
POST_CONTENT = ("author_id", "created_at", "text_original", "retweet_of_id", "in_reply_to_id")
#: The cleaned posts' columns, in order.
CLEANED_POST_COLUMNS = (
    "post_id",
    "author_id",
    "created_at",
    "text",
    "text_original",
    "lang",
    "lang_source",
    "topic",
    "hashtags",
    "mentions",
    "in_reply_to_id",
    "is_reply",
    "like_count",
    "repost_count",
    "reply_count",
    "image_keys",
    "source",
    "source_file",
    "line_no",
    "has_image",
)


def outside_hour(hour: datetime) -> Check:
    """The check that rejects a record created outside the hour starting at ``hour``: a record
    belongs to the hour of its own ``created_at``, and one that landed in another hour's folder is
    not this partition's (it would be counted in two, or in the wrong window)."""
    return pl.col("created_at_ts").is_between(hour, hour + ONE_HOUR, closed="left").not_(), "outside_partition"


def prepare_posts(
    lines: pl.DataFrame, rules: CleaningRules = CleaningRules(), hour: datetime | None = None
) -> pl.DataFrame:
    """The row-level rules that decide whether a post is kept: parse, validate, the source's markup
    to plain text (:mod:`~sentiment_platform.lib.cleansing.source_text`), NFKC.
    With ``hour`` (the partition's start), a post created outside that hour is ``outside_partition``.

    Each line is handled on its own, so these rules run the same on a whole partition (Polars) or
    on one file at a time (Spark workers). Returns every line with the ``reason`` it is rejected
    for (null if it is not), the cleaned columns but the text features (see
    :func:`with_text_features`), and ``text_nfkc``, ``retweet_of_id``, ``is_retweet`` and ``line``
    for the set-level rules.
    """
    # One plan on the streaming engine: both cores work through the lines a morsel at a time.
    # Lines that did not parse keep their reason.
    return (
        parse_lines(lines, POST_SCHEMA)
        .lazy()
        .with_columns(
            pl.struct("text", "source")
            .map_batches(plain_texts, return_dtype=pl.String, is_elementwise=True)
            .map_batches(nfkc, return_dtype=pl.String, is_elementwise=True)
            .alias("text_nfkc"),
            parse_timestamp("created_at").alias("created_at_ts"),
        )
        .with_columns(first_failed(post_checks(rules, hour), prior=True))
        .select(PREPARED_POST_COLUMNS)
        .with_columns(pl.col("image_keys").list.len().gt(0).alias("has_image"))
        .collect(engine="streaming")
    )


def post_checks(rules: CleaningRules, hour: datetime | None) -> list[tuple[pl.Expr, str]]:
    """The row-level checks of a post, in order, each with the reason it rejects a post for."""
    checks = [
        (pl.col("created_at_ts").is_null(), "invalid_timestamp:created_at"),
        (pl.col("text").str.len_chars() > rules.max_text_chars, "oversize_text"),
        (pl.col("topic").str.len_chars() > MAX_TERM_CHARS, "oversize_topic"),
        (pl.min_horizontal("like_count", "repost_count", "reply_count") < 0, "invalid_value:negative_count"),
        # Nothing that shows: whitespace, zero-width, format and control characters only.
        (~pl.col("text_nfkc").str.contains(VISIBLE_CHARACTER), "empty_text"),
    ]
    if hour is not None:
        checks.insert(1, outside_hour(hour))
    return checks


#: What a prepared post keeps of its parsed line (see :func:`prepare_posts`).
PREPARED_POST_COLUMNS = [
    pl.col("id").alias("post_id"),
    "author_id",
    pl.col("created_at_ts").alias("created_at"),
    "text_nfkc",
    pl.col("text").alias("text_original"),
    pl.col("lang").fill_null("und").str.to_lowercase().alias("lang"),
    pl.col("topic").fill_null("unknown").str.to_lowercase().alias("topic"),
    "in_reply_to_id",
    pl.col("in_reply_to_id").is_not_null().alias("is_reply"),
    pl.col("like_count").fill_null(0),
    pl.col("repost_count").fill_null(0),
    pl.col("reply_count").fill_null(0),
    pl.col("media").fill_null([]).list.eval(pl.element().struct.field("path").drop_nulls()).alias("image_keys"),
    pl.col("source").fill_null("unknown"),
    "source_file",
    "line_no",
    "retweet_of_id",
    (pl.col("retweet_of_id").is_not_null() | pl.col("text").str.starts_with("RT @")).alias("is_retweet"),
    "line",
    "reason",
]


def clean_posts(
    files: Sequence[tuple[str, bytes]], rules: CleaningRules = CleaningRules(), hour: datetime | None = None
) -> CleaningResult:
    """Cleanse landed post batches ``[(source_file, bytes), ...]`` of one partition (the hour
    starting at ``hour``, when given: see :func:`prepare_posts`)."""
    lines = split_lines(files)
    prepared = prepare_posts(lines, rules, hour)
    # The set-level rules (the Spark engine applies the same ones with a window over the id) work
    # on the few columns they need and row positions; the kept rows are then taken in one gather,
    # rather than the whole frame being copied by every filter and sort on the way.
    first_rows, duplicates, conflicts = drop_duplicates(prepared, "post_id", POST_CONTENT)
    order = prepared.select("is_retweet", "created_at", "post_id")[first_rows].with_columns(first_rows.alias("_row"))
    retweets = int(order["is_retweet"].sum())
    kept = sort_by_time(order.filter(~pl.col("is_retweet")), "post_id")["_row"]
    text_columns = ("text", "hashtags", "mentions", "lang_source")
    columns = [name for name in CLEANED_POST_COLUMNS if name not in text_columns] + ["text_nfkc"]
    # The text work only for the posts that are kept (not for retweets or duplicates).
    cleaned = with_text_features(prepared.select(columns)[kept].lazy()).select(CLEANED_POST_COLUMNS)
    return CleaningResult(
        cleaned=cleaned.collect(engine="streaming"),
        quarantined=_concat_rejects([rejected_rows(prepared), conflicts]),
        records_in=lines.height,
        duplicates=duplicates + retweets,
        counts={"exact_duplicates": duplicates, "retweets": retweets},
    )


def clean_users(files: Sequence[tuple[str, bytes]], hour: datetime | None = None) -> CleaningResult:
    """Cleanse landed user-profile batches: one row per user, the latest profile seen in the batch.
    Profiles are observations, not events: ``hour`` does not bound them."""
    lines = split_lines(files)
    records = parse_lines(lines, USER_SCHEMA).with_columns(
        parse_timestamp("created_at").alias("created_at_ts"), parse_timestamp("observed_at").alias("observed_at_ts")
    )
    records, rejected = apply_checks(
        records,
        [
            (pl.col("created_at").is_not_null() & pl.col("created_at_ts").is_null(), "invalid_timestamp:created_at"),
            (pl.col("observed_at").is_not_null() & pl.col("observed_at_ts").is_null(), "invalid_timestamp:observed_at"),
            (pl.col("followers_count") < 0, "invalid_value:followers_count"),
        ],
    )
    # Several profiles of one user in a batch: the most recent observation wins.
    latest = records.sort("observed_at_ts", "source_file", "line_no", descending=[True, False, False], nulls_last=True)
    kept = latest.unique("user_id", keep="first", maintain_order=True)
    cleaned = kept.select(
        "user_id",
        "handle",
        "name",
        "location",
        "followers_count",
        pl.col("language").fill_null("und").str.to_lowercase().alias("language"),
        pl.col("created_at_ts").alias("created_at"),
        pl.col("observed_at_ts").alias("observed_at"),
        "source_file",
        "line_no",
    ).sort("user_id")
    return CleaningResult(cleaned, rejected, lines.height, records.height - kept.height)


def clean_interactions(files: Sequence[tuple[str, bytes]], hour: datetime | None = None) -> CleaningResult:
    """Cleanse landed interaction batches (likes, replies, reposts); with ``hour``, one that
    happened outside the hour starting there is ``outside_partition``."""
    lines = split_lines(files)
    records = parse_lines(lines, INTERACTION_SCHEMA)
    records = records.with_columns(
        parse_timestamp("created_at").alias("created_at_ts"), pl.col("type").str.to_lowercase()
    )
    checks = [
        (pl.col("created_at_ts").is_null(), "invalid_timestamp:created_at"),
        (~pl.col("type").is_in(INTERACTION_TYPES), "invalid_value:type"),
    ]
    if hour is not None:
        checks.insert(1, outside_hour(hour))
    records, rejected = apply_checks(records, checks)
    kept, duplicates, conflicts = drop_duplicates(
        records, "interaction_id", ["type", "user_id", "post_id", "created_at_ts"]
    )
    cleaned = (
        records[kept]
        .select(
            "interaction_id",
            "type",
            "user_id",
            "post_id",
            pl.col("created_at_ts").alias("created_at"),
            "source_file",
            "line_no",
        )
        .pipe(sort_by_time, "interaction_id")
    )
    return CleaningResult(cleaned, _concat_rejects([rejected, conflicts]), lines.height, duplicates)


def _concat_rejects(parts: list[pl.DataFrame]) -> pl.DataFrame:
    frames = [part for part in parts if part.height]
    return pl.concat(frames) if frames else empty_rejects()
