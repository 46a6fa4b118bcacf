"""Recommendation logic around the ALS model (pure Polars): weights, hold-out, blending, metrics.

The model (Spark MLlib's implicit ALS) proposes candidates; this module turns interactions into
implicit-feedback weights, splits them in time for evaluation, blends the model's score with the
user's sentiment affinity for each post's topic, and measures precision and recall at k.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

RECOMMENDATION_COLUMNS = ("user_id", "rank", "post_id", "topic", "score", "model_score", "topic_affinity")


@dataclass(frozen=True)
class RecommendationSettings:
    """How interactions are weighted, how ALS is fit, and how its candidates are re-ranked."""

    weights: dict[str, float] = field(default_factory=lambda: {"like": 1.0, "reply": 2.0, "repost": 3.0})
    top_k: int = 10
    candidates: int = 100  # ALS proposals per user that the blend re-ranks
    affinity_weight: float = 0.3  # share of the final score from the user's topic affinity
    holdout_share: float = 0.2  # the latest share of interactions held out for evaluation
    rank: int = 16
    max_iter: int = 10
    reg_param: float = 0.05
    alpha: float = 10.0
    seed: int = 7


def weighted_interactions(interactions: pl.DataFrame, weights: dict[str, float]) -> pl.DataFrame:
    """One row per (user, post): the summed weight of the user's interactions with the post."""
    return (
        interactions.filter(pl.col("type").is_in(list(weights)))
        .with_columns(pl.col("type").replace_strict(weights, return_dtype=pl.Float64).alias("weight"))
        .group_by("user_id", "post_id").agg(pl.col("weight").sum(), pl.col("created_at").max().alias("last_at"))
        .sort("user_id", "post_id")
    )


def time_split(interactions: pl.DataFrame, holdout_share: float) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split each post's interactions in time: the latest ``holdout_share`` of them (at least the
    last one, for posts with two or more) are held out, the earlier ones are for training.

    The task this measures is the feed's: given who engaged with a post so far, who engages next.
    A global cut-off would leave almost nothing to test, because posts here collect their
    engagement within minutes of being posted, so the posts after any cut-off are all unseen.
    """
    ordered = interactions.sort("post_id", "created_at", "user_id").with_columns(
        pl.int_range(1, pl.len() + 1).over("post_id").alias("_nth"), pl.len().over("post_id").alias("_count"))
    held = (pl.col("_count") >= 2) & (pl.col("_nth") > (pl.col("_count") * (1 - holdout_share)).floor().clip(1))
    return ordered.filter(~held).drop("_nth", "_count"), ordered.filter(held).drop("_nth", "_count")


def topic_affinity(weighted: pl.DataFrame, posts: pl.DataFrame) -> pl.DataFrame:
    """Per user and topic, in [0, 1]: how much of the user's engagement goes to the topic (relative to
    their favourite) times how positive the posts they engage with there are, ``(1 + mean score) / 2``."""
    engaged = weighted.join(posts.select("post_id", "topic", "score"), on="post_id", how="inner")
    per_topic = engaged.group_by("user_id", "topic").agg(
        pl.col("weight").sum().alias("topic_weight"),
        ((pl.col("score").fill_null(0.0) * pl.col("weight")).sum() / pl.col("weight").sum()).alias("mean_score"),
    )
    return per_topic.with_columns(
        (pl.col("topic_weight") / pl.col("topic_weight").max().over("user_id")
         * (1 + pl.col("mean_score")) / 2).alias("topic_affinity")
    ).select("user_id", "topic", "topic_affinity")


def popular_posts(weighted: pl.DataFrame, count: int) -> pl.DataFrame:
    """The ``count`` posts with the most interaction weight (the baseline and the cold-start fallback)."""
    return (
        weighted.group_by("post_id").agg(pl.col("weight").sum().alias("score"), pl.len().alias("users"))
        .sort(["score", "users", "post_id"], descending=[True, True, False]).head(count)
        .with_row_index("rank", offset=1).select(pl.col("rank").cast(pl.Int32), "post_id", "score")
    )


def blend(candidates: pl.DataFrame, seen: pl.DataFrame, affinity: pl.DataFrame, posts: pl.DataFrame,
          settings: RecommendationSettings) -> pl.DataFrame:
    """Top ``top_k`` posts per user that the user has not interacted with, by
    ``(1 - w) * model score (scaled to [0, 1] per user) + w * topic affinity``."""
    unseen = candidates.join(seen.select("user_id", "post_id"), on=["user_id", "post_id"], how="anti")
    scaled = (pl.col("model_score") - pl.col("model_score").min().over("user_id")) / (
        pl.col("model_score").max().over("user_id") - pl.col("model_score").min().over("user_id"))
    scored = (
        unseen.join(posts.select("post_id", "topic"), on="post_id", how="left")
        .join(affinity, on=["user_id", "topic"], how="left")
        .with_columns(pl.col("topic_affinity").fill_null(0.0), scaled.fill_nan(1.0).fill_null(1.0).alias("_scaled"))
        .with_columns(((1 - settings.affinity_weight) * pl.col("_scaled")
                       + settings.affinity_weight * pl.col("topic_affinity")).alias("score"))
    )
    return (
        scored.sort(["user_id", "score", "post_id"], descending=[False, True, False])
        .group_by("user_id", maintain_order=True).head(settings.top_k)
        .with_columns(pl.int_range(1, pl.len() + 1).over("user_id").cast(pl.Int32).alias("rank"))
        .select(RECOMMENDATION_COLUMNS)
    )


def popular_for_users(users: list[str], popular: pl.DataFrame, seen: pl.DataFrame, top_k: int) -> pl.DataFrame:
    """The most popular posts each user has not interacted with (the baseline's recommendations)."""
    grid = pl.DataFrame({"user_id": users}).join(popular.select("post_id", "score"), how="cross")
    return (
        grid.join(seen.select("user_id", "post_id"), on=["user_id", "post_id"], how="anti")
        .sort(["user_id", "score", "post_id"], descending=[False, True, False])
        .group_by("user_id", maintain_order=True).head(top_k)
    )


def precision_recall_at_k(recommended: pl.DataFrame, relevant: pl.DataFrame, k: int) -> dict[str, float]:
    """Mean precision@k and recall@k over the users in ``relevant`` (``user_id``, ``post_id`` pairs)."""
    users = relevant.group_by("user_id").agg(pl.len().alias("relevant"))
    hits = recommended.join(relevant.unique(["user_id", "post_id"]), on=["user_id", "post_id"], how="semi") \
        .group_by("user_id").agg(pl.len().alias("hits"))
    per_user = users.join(hits, on="user_id", how="left").with_columns(pl.col("hits").fill_null(0))
    if per_user.height == 0:
        return {"precision_at_k": 0.0, "recall_at_k": 0.0, "users": 0}
    return {
        "precision_at_k": float((per_user["hits"] / k).mean()),
        "recall_at_k": float((per_user["hits"] / per_user["relevant"]).mean()),
        "users": per_user.height,
    }
