"""Group ``recommendations``: posts for each user from Spark MLlib's ALS, blended with sentiment affinity."""

from datetime import datetime, timedelta

import polars as pl
from dagster import AssetDep, AssetExecutionContext, MaterializeResult, ResourceParam, asset

from sentiment_platform.lib.lake_layout import dataset_key
from sentiment_platform.lib.lake_store import LakeStore
from sentiment_platform.lib.recommendations import (
    POPULAR_SCHEMA,
    RECOMMENDATIONS_SCHEMA,
    RecommendationSettings,
    blend,
    popular_for_users,
    popular_posts,
    post_popularity,
    precision_recall_at_k,
    time_split,
    top_unseen,
    topic_affinity,
    weighted_interactions,
)
from sentiment_platform.lib.spark.implicit_als import ImplicitALS
from sentiment_platform.lib.warehouse_schema import POPULAR_POSTS, RECOMMENDATIONS
from sentiment_platform.lib.warehouse_tables import replace_range
from sentiment_platform.partitions import daily_partitions, single_run, trailing_partitions
from sentiment_platform.resources.spark_engine import SparkEngine
from sentiment_platform.resources.warehouse import WAREHOUSE_POOL, Warehouse

#: Days of interactions (ending with the partition's day) the model learns from.
LOOKBACK_DAYS = 7
POPULAR_COUNT = 50
#: Every hour of the 7 days a day's recommendations learn from.
_LOOK_BACK = trailing_partitions(LOOKBACK_DAYS - 1)


def _read_hours(storage: LakeStore, keys: list[str], columns: list[str]) -> pl.DataFrame | None:
    frames = [storage.read_parquet(key).select(columns) for key in keys if storage.exists(key)]
    return pl.concat(frames, how="vertical_relaxed") if frames else None


def _most_seen(weighted: pl.DataFrame) -> int:
    """The most posts any one user has interacted with."""
    return int(weighted.group_by("user_id").len()["len"].max())


def candidates(model: ImplicitALS, weighted: pl.DataFrame, settings: RecommendationSettings) -> pl.DataFrame:
    """Each user's candidates with the model's score: the model's best posts (enough that
    ``candidates`` remain once seen posts are removed) and the most popular posts."""
    best = model.top(settings.candidates + min(_most_seen(weighted), 2_000))
    popular = popular_posts(weighted, settings.popular_candidates).select("post_id")
    grid = (
        weighted.select("user_id").unique().join(popular, how="cross").join(best, on=["user_id", "post_id"], how="anti")
    )
    return pl.concat([best, model.score(grid)])


def evaluate(
    spark: SparkEngine, interactions: pl.DataFrame, posts: pl.DataFrame, settings: RecommendationSettings
) -> dict[str, float]:
    """Precision@k and recall@k on a time-based hold-out (each post's latest interactions): the
    blend, the ALS model alone and the most-popular baseline, all from the interactions before."""
    train_rows, test_rows = time_split(interactions, settings.holdout_share)
    train = weighted_interactions(train_rows, settings.weights)
    # Only what could be recommended counts: known users, known posts, not already interacted with.
    test = (
        weighted_interactions(test_rows, settings.weights)
        .join(train.select("user_id").unique(), on="user_id", how="semi")
        .join(train.select("post_id").unique(), on="post_id", how="semi")
        .join(train, on=["user_id", "post_id"], how="anti")
    )
    model = ImplicitALS(spark.spark_session, train, settings)
    k = settings.top_k
    proposals = candidates(model, train, settings)
    results = {
        "blended": blend(proposals, train, topic_affinity(train, posts), posts, post_popularity(train), settings),
        "als_only": top_unseen(proposals, train, "model_score", k),
        "popular": popular_for_users(
            test["user_id"].unique().to_list(), popular_posts(train, k + _most_seen(train)), train, k
        ),
    }
    metrics: dict[str, float] = {"holdout_train_pairs": train.height, "holdout_test_pairs": test.height}
    for name, recommended in results.items():
        scores = precision_recall_at_k(recommended, test, k)
        metrics[f"{name}_precision_at_{k}"] = round(scores["precision_at_k"], 5)
        metrics[f"{name}_recall_at_{k}"] = round(scores["recall_at_k"], 5)
        metrics["holdout_users"] = scores["users"]
    return metrics


def recommend_day(
    storage: LakeStore, warehouse: Warehouse, spark: SparkEngine, day: datetime, settings: RecommendationSettings
) -> dict:
    """Evaluate, fit and store the recommendations of ``day``; returns its metadata.

    A day without interactions (most archives, most sources) stores no recommendations and, as the
    popular fallback, the posts with the most likes, replies and reposts their source counted; its
    metadata says why. Nothing fails because a source lacks a kind of data."""
    hours = [day - timedelta(days=LOOKBACK_DAYS - 1) + timedelta(hours=h) for h in range(24 * LOOKBACK_DAYS)]
    interactions = _read_hours(
        storage, [dataset_key("cleaned_interactions", h) for h in hours], ["user_id", "post_id", "type", "created_at"]
    )
    posts = _read_hours(
        storage,
        [dataset_key("enriched_posts", h) for h in hours],
        ["post_id", "topic", "score", "like_count", "reply_count", "repost_count"],
    )
    # Only posts that made it into the analytics zone can be recommended (not quarantined ones).
    known = (
        interactions.join(posts.select("post_id"), on="post_id", how="semi")
        if interactions is not None and posts is not None
        else None
    )
    if known is None or known.is_empty():
        return _store_without_interactions(warehouse, day, posts, settings)
    unknown, interactions = interactions.height - known.height, known
    metrics = evaluate(spark, interactions, posts, settings)

    weighted = weighted_interactions(interactions, settings.weights)
    model = ImplicitALS(spark.spark_session, weighted, settings)
    table = blend(
        candidates(model, weighted, settings),
        weighted,
        topic_affinity(weighted, posts),
        posts,
        post_popularity(weighted),
        settings,
    )
    popular = popular_posts(weighted, POPULAR_COUNT).join(
        posts.select("post_id", "topic").unique("post_id"), on="post_id", how="left"
    )
    _store_day(warehouse, day, table, popular)
    return {
        **metrics,
        "dagster/row_count": table.height,
        "users": table["user_id"].n_unique(),
        "interactions": interactions.height,
        "interactions_on_unknown_posts": unknown,
    }


def _store_day(warehouse: Warehouse, day: datetime, table: pl.DataFrame, popular: pl.DataFrame) -> None:
    day_column = pl.lit(day.date()).alias("day")
    with warehouse.write() as connection:
        next_day = (day + timedelta(days=1)).date()
        replace_range(connection, RECOMMENDATIONS, table.with_columns(day_column), day.date(), next_day)
        replace_range(connection, POPULAR_POSTS, popular.with_columns(day_column), day.date(), next_day)


def _store_without_interactions(
    warehouse: Warehouse, day: datetime, posts: pl.DataFrame | None, settings: RecommendationSettings
) -> dict:
    """The day's empty recommendations, and its popular posts by the counts on the posts themselves."""
    table = pl.DataFrame(schema=RECOMMENDATIONS_SCHEMA)
    popular = pl.DataFrame(schema=POPULAR_SCHEMA)
    if posts is not None and not posts.is_empty():
        counted = posts.unique("post_id", keep="last").select(
            "post_id",
            "topic",
            pl.sum_horizontal(
                pl.col(f"{kind}_count").fill_null(0) * settings.weights[kind] for kind in ("like", "reply", "repost")
            )
            .cast(pl.Float64)
            .alias("score"),
        )
        popular = (
            counted.filter(pl.col("score") > 0)
            .sort(["score", "post_id"], descending=[True, False])
            .head(POPULAR_COUNT)
            .with_row_index("rank", offset=1)
            .select(pl.col("rank").cast(pl.Int32), "post_id", "score", "topic")
        )
    _store_day(warehouse, day, table, popular)
    return {
        "dagster/row_count": 0,
        "skipped": f"no interactions in the {LOOKBACK_DAYS} days up to {day:%Y-%m-%d}: nothing to learn from; "
        "the API answers with the popular fallback (posts by their own like, reply and repost counts)",
        "popular_posts": popular.height,
    }


@asset(
    deps=[AssetDep(name, partition_mapping=_LOOK_BACK) for name in ("cleaned_interactions", "enriched_posts")],
    partitions_def=daily_partitions,
    backfill_policy=single_run,
    group_name="recommendations",
    kinds={"spark", "duckdb"},
    pool=WAREHOUSE_POOL,
)
def recommendations(
    context: AssetExecutionContext, storage: ResourceParam[LakeStore], warehouse: Warehouse, spark: SparkEngine
) -> MaterializeResult:
    """Top 10 posts per user that the user has not interacted with, from implicit ALS (Spark MLlib)
    on likes, replies and reposts (weighted 1/2/3) over the last 7 days: each user's candidates
    (the model's best posts and the most popular ones) are ranked by popularity x (0.1 + 0.5 x the
    model's score + the user's sentiment affinity for the post's topic). The most popular posts are
    the fallback for users without history. Evaluated on a time hold-out against most-popular."""
    window = context.partition_time_window
    settings = RecommendationSettings()
    day, metadata = window.start, {}
    while day < window.end:  # one day per partition of the run's range (a backfill is one run)
        metadata = recommend_day(storage, warehouse, spark, day, settings)
        context.log.info(f"recommendations {day:%Y-%m-%d}: {metadata}")
        day += timedelta(days=1)
    return MaterializeResult(
        metadata={
            **metadata,
            "weights": str(settings.weights),
            "blend": f"popularity x ({settings.floor} + {settings.model_weight} x ALS "
            f"+ {settings.affinity_weight} x topic affinity)",
            "als": f"rank={settings.rank} maxIter={settings.max_iter} "
            f"regParam={settings.reg_param} alpha={settings.alpha}",
        }
    )
