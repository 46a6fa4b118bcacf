"""``cleaned_posts`` on Spark: the row-level rules in tasks, deduplication as a window over the id."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import polars as pl
import pyarrow as pa

from sentiment_platform.lib.cleansing.cleaning import (
    CLEANED_POST_COLUMNS,
    POST_CONTENT,
    CleaningResult,
    CleaningRules,
    prepare_posts,
)
from sentiment_platform.lib.cleansing.records import REJECT_COLUMNS, split_lines
from sentiment_platform.lib.cleansing.text_features import with_text_features
from sentiment_platform.lib.lake_layout import LakeObject

if TYPE_CHECKING:
    from sentiment_platform.lib.lake_store import LakeStore
from sentiment_platform.lib.spark.lake_io import map_lake_objects, to_polars

_UTC = pa.timestamp("us", tz="UTC")
_TAGS = pa.list_(pa.string())
#: What a task emits per landed line: the prepared post, or a rejected line with its reason.
PREPARED_POST_ARROW = pa.schema(
    [
        ("post_id", pa.string()),
        ("author_id", pa.string()),
        ("created_at", _UTC),
        ("text", pa.string()),
        ("text_original", pa.string()),
        ("lang", pa.string()),
        ("lang_source", pa.string()),
        ("topic", pa.string()),
        ("hashtags", _TAGS),
        ("mentions", _TAGS),
        ("in_reply_to_id", pa.string()),
        ("is_reply", pa.bool_()),
        ("like_count", pa.int64()),
        ("repost_count", pa.int64()),
        ("reply_count", pa.int64()),
        ("image_keys", _TAGS),
        ("source", pa.string()),
        ("source_file", pa.string()),
        ("line_no", pa.int64()),
        ("has_image", pa.bool_()),
        ("retweet_of_id", pa.string()),
        ("is_retweet", pa.bool_()),
        ("line", pa.string()),
        ("reason", pa.string()),
        ("hour", _UTC),
    ]
)
CLEANED_POST_SCHEMA: dict[str, pl.DataType] = {
    "post_id": pl.String,
    "author_id": pl.String,
    "created_at": pl.Datetime("us", "UTC"),
    "text": pl.String,
    "text_original": pl.String,
    "lang": pl.String,
    "lang_source": pl.String,
    "topic": pl.String,
    "hashtags": pl.List(pl.String),
    "mentions": pl.List(pl.String),
    "in_reply_to_id": pl.String,
    "is_reply": pl.Boolean,
    "like_count": pl.Int64,
    "repost_count": pl.Int64,
    "reply_count": pl.Int64,
    "image_keys": pl.List(pl.String),
    "source": pl.String,
    "source_file": pl.String,
    "line_no": pl.Int64,
    "has_image": pl.Boolean,
}


def _prepare_objects(rules: CleaningRules):
    def read(storage: LakeStore, objects: list[tuple[str, datetime]]) -> pl.DataFrame:
        by_hour: dict[datetime, list[str]] = {}
        for key, hour in objects:
            hour = hour.replace(tzinfo=UTC) if hour.tzinfo is None else hour.astimezone(UTC)
            by_hour.setdefault(hour, []).append(key)
        # Each hour's rules (outside_partition) apply to its own files.
        frames = [
            prepare_posts(split_lines([(key, storage.read_bytes(key)) for key in keys]), rules, hour).with_columns(
                pl.lit(hour, pl.Datetime("us", "UTC")).alias("hour")
            )
            for hour, keys in by_hour.items()
        ]
        return with_text_features(pl.concat(frames).lazy()).collect()

    return read


def clean_posts_spark(
    spark: Any,
    storage: LakeStore,
    landed: Mapping[datetime, Sequence[LakeObject]],
    rules: CleaningRules = CleaningRules(),
) -> dict[datetime, CleaningResult]:
    """Cleanse the landed post batches of every hour in ``landed`` as one Spark job.

    The same rules as :func:`sentiment_platform.lib.cleansing.cleaning.clean_posts`, hour by hour: the first row
    per id (in file and line order) is kept, later ones are exact duplicates or conflicts.
    """
    from pyspark import StorageLevel

    objects = [(obj.key, hour, obj.size) for hour, objs in landed.items() for obj in objs]
    if not objects:
        return {hour: _empty_result() for hour in landed}
    prepared = map_lake_objects(spark, storage, objects, _prepare_objects(rules), PREPARED_POST_ARROW)
    prepared = prepared.persist(StorageLevel.MEMORY_AND_DISK)
    try:
        cleaned, rejects, counts = _deduplicated(prepared)
        hour_type = {"hour": pl.Datetime("us", "UTC")}
        line_counts = dict(
            to_polars(prepared.groupBy("hour").count().toArrow(), {**hour_type, "count": pl.Int64}).iter_rows()
        )
        dedup_counts = {
            row[0]: row[1:]
            for row in to_polars(
                counts.toArrow(), {**hour_type, "exact_duplicates": pl.Int64, "retweets": pl.Int64}
            ).iter_rows()
        }
        cleaned_rows = to_polars(cleaned.toArrow(), {**CLEANED_POST_SCHEMA, **hour_type})
        rejected_rows = to_polars(rejects.toArrow(), {**REJECT_COLUMNS, **hour_type})
    finally:
        prepared.unpersist()
    cleaned_by_hour = cleaned_rows.partition_by("hour", as_dict=True, include_key=False)
    rejected_by_hour = rejected_rows.partition_by("hour", as_dict=True, include_key=False)
    results = {}
    for hour in landed:
        exact, retweets = dedup_counts.get(hour, (0, 0))
        results[hour] = CleaningResult(
            cleaned=cleaned_by_hour.get((hour,), pl.DataFrame(schema=CLEANED_POST_SCHEMA)).sort(
                "created_at", "post_id"
            ),
            quarantined=rejected_by_hour.get((hour,), pl.DataFrame(schema=REJECT_COLUMNS)),
            records_in=line_counts.get(hour, 0),
            duplicates=exact + retweets,
            counts={"exact_duplicates": exact, "retweets": retweets},
        )
    return results


def _deduplicated(prepared: Any) -> tuple[Any, Any, Any]:
    """Of the prepared rows (Spark): the cleaned posts, the rejects (unparseable rows and
    conflicting duplicates) and per hour the counts of exact duplicates and retweets."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    records = prepared.filter(F.col("reason").isNull())
    by_id = Window.partitionBy("hour", "post_id").orderBy("source_file", "line_no")
    # A later row is an exact duplicate when every content column equals the first row's.
    same = F.lit(True)
    for column in POST_CONTENT:
        same = same & F.col(column).eqNullSafe(F.first(column).over(by_id))
    ranked = records.withColumn("_rank", F.row_number().over(by_id)).withColumn("_same", same)
    first, later = F.col("_rank") == 1, F.col("_rank") > 1
    conflicts = ranked.filter(later & ~F.col("_same")).select(
        "source_file",
        "line_no",
        F.lit("conflicting_duplicate_id").alias("reason"),
        F.col("line").alias("record"),
        "hour",
    )
    rejects = (
        prepared.filter(F.col("reason").isNotNull())
        .select("source_file", "line_no", "reason", F.col("line").alias("record"), "hour")
        .unionByName(conflicts)
    )
    cleaned = ranked.filter(first & ~F.col("is_retweet")).select(*CLEANED_POST_COLUMNS, "hour")
    counts = ranked.groupBy("hour").agg(
        F.sum((later & F.col("_same")).cast("long")).alias("exact_duplicates"),
        F.sum((first & F.col("is_retweet")).cast("long")).alias("retweets"),
    )
    return cleaned, rejects, counts


def _empty_result() -> CleaningResult:
    return CleaningResult(
        pl.DataFrame(schema=CLEANED_POST_SCHEMA),
        pl.DataFrame(schema=REJECT_COLUMNS),
        0,
        0,
        {"exact_duplicates": 0, "retweets": 0},
    )
