"""``post_sentiment`` on Spark: input checks and model inference in tasks, the score cache shared.

Each Python worker loads the model once (``TextScorer.load`` keeps it per process and Spark reuses
its workers) and scores whole Arrow batches of distinct texts in ``mapInPandas``; only texts that
are neither duplicates nor in the lake's score cache reach the model, and the new scores go back
into the same cache the single-machine path uses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl
import pyarrow as pa

from sentiment_platform.lib.lake_layout import LakeObject

if TYPE_CHECKING:
    from sentiment_platform.lib.lake_store import LakeStore
from sentiment_platform.lib.scoring.text.score_cache import CACHE_SCHEMA, ScoreCache
from sentiment_platform.lib.scoring.text.text_models import TextModel
from sentiment_platform.lib.scoring.text.text_scoring import (
    assemble_scores,
    check_texts,
    score_counts,
    score_frame,
)
from sentiment_platform.lib.spark.lake_io import (
    map_lake_objects,
    spark_schema,
    to_arrow,
    to_polars,
)

_UTC = pa.timestamp("us", tz="UTC")
CHECKED_POST_ARROW = pa.schema(
    [
        ("post_id", pa.string()),
        ("created_at", _UTC),
        ("topic", pa.string()),
        ("status", pa.string()),
        ("text_key", pa.int64()),
        ("checked_text", pa.string()),
        ("hour", _UTC),
    ]
)
SCORES_ARROW = pa.schema(
    [
        ("text_key", pa.int64()),
        ("p_negative", pa.float32()),
        ("p_neutral", pa.float32()),
        ("p_positive", pa.float32()),
        ("truncated", pa.bool_()),
    ]
)
POST_COLUMNS = {"post_id": pl.String, "created_at": pl.Datetime("us", "UTC"), "topic": pl.String}


def _check_posts(storage: LakeStore, objects: list[tuple[str, datetime]]) -> pl.DataFrame:
    frames = []
    for key, hour in objects:
        posts = storage.read_parquet(key).select("post_id", "created_at", "topic", "text")
        statuses, keys, distinct = check_texts(posts["text"].to_list())
        frames.append(
            posts.drop("text").with_columns(
                pl.Series("status", statuses, pl.String),
                pl.Series("text_key", keys, pl.Int64),
                pl.Series("checked_text", [distinct.get(k) if k is not None else None for k in keys], pl.String),
                pl.lit(hour).cast(pl.Datetime("us", "UTC")).alias("hour"),
            )
        )
    return pl.concat(frames)


def _score_batches(load_model: Callable[[], TextModel]):
    def run(batches: Iterator[Any]) -> Iterator[Any]:
        model = load_model()  # once per Python worker, reused across batches
        for batch in batches:
            probabilities, truncated = model.predict(batch["checked_text"].tolist())
            frame = score_frame(batch["text_key"].tolist(), np.asarray(probabilities), np.asarray(truncated))
            yield to_arrow(frame, SCORES_ARROW).to_pandas()

    return run


def score_posts_spark(
    spark: Any,
    storage: LakeStore,
    cleaned: Mapping[datetime, Sequence[LakeObject]],
    model: TextModel,
    load_model: Callable[[], TextModel],
    cache: ScoreCache,
) -> dict[datetime, tuple[pl.DataFrame, dict[str, int]]]:
    """Score the cleaned posts of every hour in ``cleaned`` as one Spark job.

    Returns per hour the same frame and counts as the single-machine path (post columns + the
    ``SCORE_SCHEMA`` columns, in the cleaned file's order) and adds the new scores to ``cache``
    (the caller saves it). ``load_model`` (picklable: a function of the lib and the driver's
    settings) loads the model in the workers.
    """
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    objects = [(obj.key, hour, obj.size) for hour, objs in cleaned.items() for obj in objs]
    checked = map_lake_objects(spark, storage, objects, _check_posts, CHECKED_POST_ARROW)
    checked = checked.persist(StorageLevel.MEMORY_AND_DISK)
    try:
        rows = to_polars(
            checked.drop("checked_text").toArrow(),
            {**POST_COLUMNS, "status": pl.String, "text_key": pl.Int64, "hour": pl.Datetime("us", "UTC")},
        )
        distinct_keys = rows["text_key"].drop_nulls().unique()
        cached = cache.lookup(distinct_keys.to_list())
        known = spark.createDataFrame(
            to_arrow(cached.select("text_key"), pa.schema([("text_key", pa.int64())])).to_pandas(),
            schema="text_key long",
        )
        # An explicit repartition: adaptive execution would otherwise coalesce a few thousand texts
        # into one task, and one core would do all the inference.
        missing = (
            checked.filter(F.col("text_key").isNotNull())
            .select("text_key", "checked_text")
            .dropDuplicates(["text_key"])
            .join(F.broadcast(known), "text_key", "left_anti")
            .repartition(spark.sparkContext.defaultParallelism, "text_key")
        )
        new_scores = to_polars(
            missing.mapInPandas(_score_batches(load_model), spark_schema(SCORES_ARROW)).toArrow(), CACHE_SCHEMA
        )
    finally:
        checked.unpersist()

    if new_scores.height:
        cache.add(
            new_scores["text_key"].to_list(),
            new_scores.select("p_negative", "p_neutral", "p_positive").to_numpy(),
            new_scores["truncated"].to_numpy(),
        )
    return _hour_results(cleaned, rows, pl.concat([cached, new_scores]), new_scores, model.name)


def _hour_results(
    hours: Iterable[datetime], rows: pl.DataFrame, scores: pl.DataFrame, new_scores: pl.DataFrame, model_name: str
) -> dict[datetime, tuple[pl.DataFrame, dict[str, int]]]:
    """Each hour's posts with their scores (in the cleaned file's order) and its counts."""
    results = {}
    by_hour = rows.partition_by("hour", as_dict=True, include_key=False)
    for hour in hours:
        posts = by_hour.get((hour,))
        if posts is None:
            posts = pl.DataFrame(schema={**POST_COLUMNS, "status": pl.String, "text_key": pl.Int64})
        posts = posts.sort("created_at", "post_id")
        statuses, keys = posts["status"].to_list(), posts["text_key"].to_list()
        hour_keys = {key for key in keys if key is not None}
        new_here = int(new_scores["text_key"].is_in(list(hour_keys)).sum()) if hour_keys else 0
        frame = pl.concat(
            [posts.select(list(POST_COLUMNS)), assemble_scores(statuses, keys, scores, model_name)], how="horizontal"
        )
        results[hour] = (frame, score_counts(frame["status"].to_list(), len(hour_keys), new_here))
    return results
