"""Recommendation logic around the ALS model (pure Polars): weights, hold-out, blending, metrics.

The model (Spark MLlib's implicit ALS) scores (user, post) pairs; this module turns interactions
into implicit-feedback weights, splits them in time for evaluation, ranks each user's candidates
(the model's best posts and the most popular ones) by popularity times the user's affinity (the
model's score and the user's sentiment affinity for the post's topic), and measures precision and
recall at k.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

#: The warehouse's ``recommendations`` and ``popular_posts`` rows (less their ``day``).
RECOMMENDATIONS_SCHEMA = {
    "user_id": pl.String,
    "rank": pl.Int32,
    "post_id": pl.String,
    "topic": pl.String,
    "score": pl.Float64,
    "model_score": pl.Float64,
    "topic_affinity": pl.Float64,
    "popularity": pl.Float64,
}
POPULAR_SCHEMA = {"rank": pl.Int32, "post_id": pl.String, "score": pl.Float64, "topic": pl.String}
RECOMMENDATION_COLUMNS = tuple(RECOMMENDATIONS_SCHEMA)


@dataclass(frozen=True)
class RecommendationSettings:
    """How interactions are weighted, how ALS is fit, and how its candidates are re-ranked."""

    weights: dict[str, float] = field(default_factory=lambda: {"like": 1.0, "reply": 2.0, "repost": 3.0})
    top_k: int = 10
    candidates: int = 100  # the model's best unseen posts per user, re-ranked by the blend
    popular_candidates: int = 200  # the most popular posts, proposed to every user as well
    # score = popularity x (floor + model_weight x model score + affinity_weight x topic affinity);
    # chosen on the hold-out of a different mock day than the one the figures are reported on.
    model_weight: float = 0.5
    affinity_weight: float = 1.0
    floor: float = 0.1
    holdout_share: float = 0.2  # the latest share of each post's interactions held out for evaluation
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
        .group_by("user_id", "post_id")
        .agg(pl.col("weight").sum())
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
        pl.int_range(1, pl.len() + 1).over("post_id").alias("_nth"), pl.len().over("post_id").alias("_count")
    )
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
        (pl.col("topic_weight") / pl.col("topic_weight").max().over("user_id") * (1 + pl.col("mean_score")) / 2).alias(
            "topic_affinity"
        )
    ).select("user_id", "topic", "topic_affinity")


def popular_posts(weighted: pl.DataFrame, count: int) -> pl.DataFrame:
    """The ``count`` posts with the most interaction weight (the baseline and the cold-start fallback)."""
    return (
        weighted.group_by("post_id")
        .agg(pl.col("weight").sum().alias("score"), pl.len().alias("users"))
        .sort(["score", "users", "post_id"], descending=[True, True, False])
        .head(count)
        .with_row_index("rank", offset=1)
        .select(pl.col("rank").cast(pl.Int32), "post_id", "score")
    )


def post_popularity(weighted: pl.DataFrame) -> pl.DataFrame:
    """Each post's interaction weight relative to the most popular post's, in [0, 1]."""
    totals = weighted.group_by("post_id").agg(pl.col("weight").sum())
    return totals.select("post_id", (pl.col("weight") / pl.col("weight").max()).alias("popularity"))


def top_unseen(scored: pl.DataFrame, seen: pl.DataFrame, column: str, k: int) -> pl.DataFrame:
    """Per user, the ``k`` rows with the highest ``column`` whose post the user has not interacted with."""
    return (
        scored.join(seen.select("user_id", "post_id"), on=["user_id", "post_id"], how="anti")
        .sort(["user_id", column, "post_id"], descending=[False, True, False])
        .group_by("user_id", maintain_order=True)
        .head(k)
        .with_columns(pl.int_range(1, pl.len() + 1).over("user_id").cast(pl.Int32).alias("rank"))
    )


def blend(
    candidates: pl.DataFrame,
    seen: pl.DataFrame,
    affinity: pl.DataFrame,
    posts: pl.DataFrame,
    popularity: pl.DataFrame,
    settings: RecommendationSettings,
) -> pl.DataFrame:
    """Top ``top_k`` unseen posts per user by ``popularity x (floor + model_weight x model score
    (scaled to [0, 1] per user) + affinity_weight x topic affinity)``."""
    best = pl.col("model_score").max().over("user_id")
    scored = (
        candidates.join(posts.select("post_id", "topic").unique("post_id"), on="post_id", how="left")
        .join(affinity, on=["user_id", "topic"], how="left")
        .join(popularity, on="post_id", how="left")
        .with_columns(
            pl.col("topic_affinity", "popularity").fill_null(0.0),
            pl.when(best > 0).then(pl.col("model_score").clip(0, None) / best).otherwise(0.0).alias("_model"),
        )
        .with_columns(
            (
                pl.col("popularity")
                * (
                    settings.floor
                    + settings.model_weight * pl.col("_model")
                    + settings.affinity_weight * pl.col("topic_affinity")
                )
            ).alias("score")
        )
    )
    return top_unseen(scored, seen, "score", settings.top_k).select(RECOMMENDATION_COLUMNS)


def popular_for_users(users: list[str], popular: pl.DataFrame, seen: pl.DataFrame, top_k: int) -> pl.DataFrame:
    """The most popular posts each user has not interacted with (the baseline's recommendations)."""
    grid = pl.DataFrame({"user_id": users}).join(popular.select("post_id", "score"), how="cross")
    return top_unseen(grid, seen, "score", top_k)


def precision_recall_at_k(recommended: pl.DataFrame, relevant: pl.DataFrame, k: int) -> dict[str, float]:
    """Mean precision@k and recall@k over the users in ``relevant`` (``user_id``, ``post_id`` pairs)."""
    users = relevant.group_by("user_id").agg(pl.len().alias("relevant"))
    hits = (
        recommended.join(relevant.unique(["user_id", "post_id"]), on=["user_id", "post_id"], how="semi")
        .group_by("user_id")
        .agg(pl.len().alias("hits"))
    )
    per_user = users.join(hits, on="user_id", how="left").with_columns(pl.col("hits").fill_null(0))
    if per_user.height == 0:
        return {"precision_at_k": 0.0, "recall_at_k": 0.0, "users": 0}
    return {
        "precision_at_k": float((per_user["hits"] / k).mean()),
        "recall_at_k": float((per_user["hits"] / per_user["relevant"]).mean()),
        "users": per_user.height,
    }
