"""Implicit-feedback ALS (Spark MLlib) over weighted interactions, and its candidates per user."""

from __future__ import annotations

from typing import Any

import polars as pl

from sentiment_platform.recommendations import RecommendationSettings
from sentiment_platform.spark_engine.lake_io import to_polars


def als_candidates(spark: Any, weighted: pl.DataFrame, settings: RecommendationSettings, per_user: int) -> pl.DataFrame:
    """Fit ALS on ``weighted`` (``user_id``, ``post_id``, ``weight``) and return each user's
    ``per_user`` best-scoring posts: ``user_id``, ``post_id``, ``model_score``."""
    from pyspark.ml.recommendation import ALS
    from pyspark.sql import functions as F

    # ALS wants integer ids: dense indexes, mapped back afterwards.
    users = weighted.select("user_id").unique().sort("user_id").with_row_index("user_index")
    posts = weighted.select("post_id").unique().sort("post_id").with_row_index("post_index")
    ratings = weighted.join(users, on="user_id").join(posts, on="post_id").select(
        pl.col("user_index").cast(pl.Int32), pl.col("post_index").cast(pl.Int32), pl.col("weight").cast(pl.Float32))
    frame = spark.createDataFrame(ratings.to_pandas(), schema="user_index int, post_index int, weight float")
    model = ALS(
        userCol="user_index", itemCol="post_index", ratingCol="weight", implicitPrefs=True,
        rank=settings.rank, maxIter=settings.max_iter, regParam=settings.reg_param, alpha=settings.alpha,
        seed=settings.seed, coldStartStrategy="drop", nonnegative=False,
    ).fit(frame)
    proposals = model.recommendForAllUsers(min(per_user, posts.height)).select(
        "user_index", F.explode("recommendations").alias("item"),
    ).select("user_index", F.col("item.post_index").alias("post_index"), F.col("item.rating").alias("model_score"))
    found = to_polars(proposals.toArrow(), {"user_index": pl.UInt32, "post_index": pl.UInt32, "model_score": pl.Float64})
    return found.join(users, on="user_index").join(posts, on="post_index").select("user_id", "post_id", "model_score")
