"""Implicit-feedback ALS (Spark MLlib) over weighted interactions: each user's best posts, and the
model's score for any (user, post) pair."""

from __future__ import annotations

from typing import Any

import polars as pl

from sentiment_platform.lib.recommendations import RecommendationSettings
from sentiment_platform.lib.spark.lake_io import to_polars

_SCORES = {"user_index": pl.UInt32, "post_index": pl.UInt32, "model_score": pl.Float64}


class ImplicitALS:
    """ALS fitted on ``weighted`` (``user_id``, ``post_id``, ``weight``) with dense integer ids."""

    def __init__(self, spark: Any, weighted: pl.DataFrame, settings: RecommendationSettings) -> None:
        from pyspark.ml.recommendation import ALS

        self._spark = spark
        self.users = weighted.select("user_id").unique().sort("user_id").with_row_index("user_index")
        self.posts = weighted.select("post_id").unique().sort("post_id").with_row_index("post_index")
        ratings = self._indexed(weighted).select("user_index", "post_index", pl.col("weight").cast(pl.Float32))
        frame = spark.createDataFrame(ratings.to_pandas(), schema="user_index int, post_index int, weight float")
        self.model = ALS(
            userCol="user_index",
            itemCol="post_index",
            ratingCol="weight",
            implicitPrefs=True,
            rank=settings.rank,
            maxIter=settings.max_iter,
            regParam=settings.reg_param,
            alpha=settings.alpha,
            seed=settings.seed,
            coldStartStrategy="drop",
        ).fit(frame)

    def _indexed(self, pairs: pl.DataFrame) -> pl.DataFrame:
        return (
            pairs.join(self.users, on="user_id")
            .join(self.posts, on="post_id")
            .with_columns(pl.col("user_index", "post_index").cast(pl.Int32))
        )

    def _named(self, scores: pl.DataFrame) -> pl.DataFrame:
        return (
            scores.join(self.users, on="user_index")
            .join(self.posts, on="post_index")
            .select("user_id", "post_id", "model_score")
        )

    def top(self, per_user: int) -> pl.DataFrame:
        """Each user's ``per_user`` highest-scoring posts: ``user_id``, ``post_id``, ``model_score``."""
        from pyspark.sql import functions as F

        proposals = (
            self.model.recommendForAllUsers(min(per_user, self.posts.height))
            .select(
                "user_index",
                F.explode("recommendations").alias("item"),
            )
            .select(
                "user_index", F.col("item.post_index").alias("post_index"), F.col("item.rating").alias("model_score")
            )
        )
        return self._named(to_polars(proposals.toArrow(), _SCORES))

    def score(self, pairs: pl.DataFrame) -> pl.DataFrame:
        """The model's score of each known (``user_id``, ``post_id``) pair (unknown ones are left out)."""
        indexed = self._indexed(pairs.select("user_id", "post_id")).select("user_index", "post_index")
        if indexed.is_empty():
            return pl.DataFrame(schema={"user_id": pl.String, "post_id": pl.String, "model_score": pl.Float64})
        frame = self._spark.createDataFrame(indexed.to_pandas(), schema="user_index int, post_index int")
        scored = self.model.transform(frame).withColumnRenamed("prediction", "model_score")
        return self._named(to_polars(scored.toArrow(), _SCORES))
