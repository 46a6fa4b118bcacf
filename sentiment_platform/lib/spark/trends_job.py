"""The 15-minute trend tables on Spark: the per-window group-by over any number of hours of posts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import polars as pl
import pyarrow as pa

from sentiment_platform.lib.lake_layout import LakeObject

if TYPE_CHECKING:
    from sentiment_platform.lib.lake_store import LakeStore
from sentiment_platform.lib.spark.lake_io import map_lake_objects, to_polars
from sentiment_platform.lib.trends import LABEL, SCORE, TRENDS_15M_INPUT, UNSUPPORTED, finish_trends_15m

WINDOW_MICROS = 15 * 60 * 1_000_000
ENRICHED_TREND_ARROW = pa.schema(
    [
        ("created_at", pa.timestamp("us", tz="UTC")),
        ("topic", pa.string()),
        ("lang", pa.string()),
        (LABEL, pa.string()),
        ("sentiment_status", pa.string()),
        (SCORE, pa.float64()),
        ("confidence", pa.float64()),
        ("image_score", pa.float64()),
    ]
)
WINDOW_COLUMNS = {
    "window_start": pl.Datetime("us", "UTC"),
    "topic": pl.String,
    "lang": pl.String,
    "posts": pl.Int64,
    "positive": pl.Int64,
    "neutral": pl.Int64,
    "negative": pl.Int64,
    "mean_score": pl.Float64,
    "mean_confidence": pl.Float64,
    "image_posts": pl.Int64,
    "mean_image_score": pl.Float64,
    "unsupported": pl.Int64,
}


def _read_enriched(storage: LakeStore, objects: list[tuple[str, datetime]]) -> pl.DataFrame:
    return pl.concat([storage.read_parquet(key).select(TRENDS_15M_INPUT) for key, _ in objects], how="vertical_relaxed")


def trends_15m_spark(
    spark: Any,
    storage: LakeStore,
    enriched: Mapping[datetime, Sequence[LakeObject]],
    dimensions: tuple[str, ...] = ("topic",),
) -> pl.DataFrame:
    """The 15-minute trend rows of every hour in ``enriched``, keyed by the window and
    ``dimensions`` (same columns as the Polars path)."""
    from pyspark.sql import functions as F

    objects = [(obj.key, hour, obj.size) for hour, objs in enriched.items() for obj in objs]
    posts = map_lake_objects(spark, storage, objects, _read_enriched, ENRICHED_TREND_ARROW)
    micros = F.unix_micros("created_at")
    labels = [F.count(F.when(F.col(LABEL) == label, 1)).alias(label) for label in ("positive", "neutral", "negative")]
    windows = (
        posts.withColumn("window_start", F.timestamp_micros(micros - F.pmod(micros, F.lit(WINDOW_MICROS))))
        .withColumn("topic", F.coalesce("topic", F.lit("unknown")))
        .withColumn("lang", F.coalesce("lang", F.lit("und")))
        .groupBy("window_start", *dimensions)
        .agg(
            F.count(F.lit(1)).alias("posts"),
            *labels,
            F.avg(SCORE).alias("mean_score"),
            F.avg("confidence").alias("mean_confidence"),
            F.count("image_score").alias("image_posts"),
            F.avg("image_score").alias("mean_image_score"),
            F.count(F.when(F.col("sentiment_status") == UNSUPPORTED, 1)).alias("unsupported"),
        )
    )
    columns = {name: dtype for name, dtype in WINDOW_COLUMNS.items() if name in windows.columns}
    return finish_trends_15m(to_polars(windows.toArrow(), columns), dimensions)
