"""Trend tables computed from enriched posts (pure Polars; the assets write them to the warehouse)."""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl

from sentiment_platform.lib.warehouse_schema import USER_SENTIMENT_HOURLY, USER_SENTIMENT_PROFILE

WINDOW = "15m"
#: The post's sentiment as a whole (text and images fused where it has both; see ``enrichment``):
#: what every trend table counts and averages.
LABEL, SCORE = "post_label", "post_score"

_LABEL_COUNTS = [
    (pl.col(LABEL) == label).sum().cast(pl.Int64).alias(label) for label in ("positive", "neutral", "negative")
]


def _shares(frame: pl.DataFrame) -> pl.DataFrame:
    labeled = pl.col("positive") + pl.col("neutral") + pl.col("negative")
    return frame.with_columns(
        pl.when(labeled > 0).then(pl.col(label) / labeled).alias(f"{label}_share")
        for label in ("positive", "neutral", "negative")
    )


def _with_topic(enriched: pl.DataFrame) -> pl.DataFrame:
    return enriched.with_columns(pl.col("topic").fill_null("unknown"))


#: The input columns the 15-minute trends read from enriched posts.
TRENDS_15M_INPUT = (
    "created_at",
    "topic",
    "lang",
    LABEL,
    "sentiment_status",
    SCORE,
    "confidence",
    "image_score",
)
UNSUPPORTED = "unsupported_language"
#: The keys of the per-language trends besides the window.
LANGUAGE_DIMENSIONS = ("topic", "lang")

_WINDOW_AGGREGATES = (
    pl.len().cast(pl.Int64).alias("posts"),
    *_LABEL_COUNTS,
    pl.col(SCORE).mean().alias("mean_score"),
    pl.col("confidence").mean().alias("mean_confidence"),
    pl.col("image_score").is_not_null().sum().cast(pl.Int64).alias("image_posts"),
    pl.col("image_score").mean().alias("mean_image_score"),
    (pl.col("sentiment_status") == UNSUPPORTED).sum().cast(pl.Int64).alias("unsupported"),
)


def _in_windows(enriched: pl.DataFrame) -> pl.DataFrame:
    return _with_topic(enriched).with_columns(
        pl.col("created_at").dt.truncate(WINDOW).alias("window_start"), pl.col("lang").fill_null("und")
    )


def sentiment_trends_15m(enriched: pl.DataFrame) -> pl.DataFrame:
    """Per 15-minute window and topic: posts, label counts and shares, mean score and confidence,
    image-bearing posts and their mean image score, and the posts no model covers (``unsupported``)."""
    return finish_trends_15m(_in_windows(enriched).group_by("window_start", "topic").agg(*_WINDOW_AGGREGATES))


def language_trends_15m(enriched: pl.DataFrame) -> pl.DataFrame:
    """Per 15-minute window, topic and language (``und`` where none is known): the columns of
    :func:`sentiment_trends_15m`."""
    windows = _in_windows(enriched).group_by("window_start", *LANGUAGE_DIMENSIONS).agg(*_WINDOW_AGGREGATES)
    return finish_trends_15m(windows, LANGUAGE_DIMENSIONS)


def finish_trends_15m(windows: pl.DataFrame, dimensions: tuple[str, ...] = ("topic",)) -> pl.DataFrame:
    """Shares, window end and column order of the per-window aggregates (any engine's), keyed by
    the window and ``dimensions``."""
    return (
        _shares(windows)
        .with_columns(
            (pl.col("window_start") + pl.duration(minutes=15)).alias("window_end"),
            pl.col("mean_score", "mean_confidence", "mean_image_score").cast(pl.Float64),
        )
        .select(
            "window_start",
            "window_end",
            *dimensions,
            "posts",
            "positive",
            "neutral",
            "negative",
            "positive_share",
            "neutral_share",
            "negative_share",
            "mean_score",
            "mean_confidence",
            "image_posts",
            "mean_image_score",
            "unsupported",
        )
        .sort("window_start", *dimensions)
    )


#: Hours before an hour that a hashtag's trend is compared with.
TRAILING_HOURS = 24


def hashtag_hour_stats(enriched: pl.DataFrame) -> pl.DataFrame:
    """Per hour and hashtag (lower-cased): posts, scored posts, score sum and negatives."""
    return (
        enriched.select(pl.col("created_at").dt.truncate("1h").alias("hour"), "hashtags", SCORE, LABEL)
        .explode("hashtags")
        .filter(pl.col("hashtags").is_not_null())
        .with_columns(pl.col("hashtags").str.to_lowercase().alias("hashtag"))
        .group_by("hour", "hashtag")
        .agg(
            pl.len().cast(pl.Int64).alias("posts"),
            pl.col(SCORE).is_not_null().sum().cast(pl.Int64).alias("scored"),
            pl.col(SCORE).sum().cast(pl.Float64).alias("score_sum"),
            (pl.col(LABEL) == "negative").sum().cast(pl.Int64).alias("negative"),
        )
    )


def hashtag_trends(stats: pl.DataFrame, hour: datetime) -> pl.DataFrame:
    """Per hashtag of ``hour``: volume, mean score, negative share, and their change against the
    previous hour and against the mean of the trailing 24 hours (hours without the tag count as 0).

    ``stats`` comes from :func:`hashtag_hour_stats` and may hold any hours; only ``hour`` and the
    ``TRAILING_HOURS`` before it are used.
    """
    now = stats.filter(pl.col("hour") == hour)
    past = stats.filter((pl.col("hour") >= hour - timedelta(hours=TRAILING_HOURS)) & (pl.col("hour") < hour))
    previous = past.filter(pl.col("hour") == hour - timedelta(hours=1)).select(
        "hashtag",
        pl.col("posts").alias("prev_posts"),
        pl.when(pl.col("scored") > 0).then(pl.col("score_sum") / pl.col("scored")).alias("prev_mean_score"),
    )
    trailing = past.group_by("hashtag").agg(
        (pl.col("posts").sum() / float(TRAILING_HOURS)).alias("trailing_24h_mean_posts"),
        pl.when(pl.col("scored").sum() > 0)
        .then(pl.col("score_sum").sum() / pl.col("scored").sum())
        .alias("trailing_24h_mean_score"),
    )
    return (
        now.join(previous, on="hashtag", how="left")
        .join(trailing, on="hashtag", how="left")
        .with_columns(
            pl.when(pl.col("scored") > 0).then(pl.col("score_sum") / pl.col("scored")).alias("mean_score"),
            (pl.col("negative") / pl.col("posts")).alias("negative_share"),
            pl.col("prev_posts").fill_null(0),
            pl.col("trailing_24h_mean_posts").fill_null(0.0),
        )
        .with_columns(
            (pl.col("posts") - pl.col("prev_posts")).alias("posts_change_vs_prev_hour"),
            (pl.col("mean_score") - pl.col("prev_mean_score")).alias("score_change_vs_prev_hour"),
            (pl.col("posts") - pl.col("trailing_24h_mean_posts")).alias("posts_change_vs_24h"),
            (pl.col("mean_score") - pl.col("trailing_24h_mean_score")).alias("score_change_vs_24h"),
        )
        .select(
            "hour",
            "hashtag",
            "posts",
            "mean_score",
            "negative_share",
            "prev_posts",
            "posts_change_vs_prev_hour",
            "score_change_vs_prev_hour",
            "trailing_24h_mean_posts",
            "posts_change_vs_24h",
            "score_change_vs_24h",
        )
        .sort("hashtag")
    )


def topic_daily_summary(enriched_day: pl.DataFrame, day: datetime) -> pl.DataFrame:
    """Per topic of one day: posts, label counts and shares, mean score and image score, the hours
    that had posts, and the day's five most used hashtags."""
    frame = _with_topic(enriched_day)
    top_tags = (
        frame.select("topic", "hashtags")
        .explode("hashtags")
        .filter(pl.col("hashtags").is_not_null())
        .with_columns(pl.col("hashtags").str.to_lowercase())
        .group_by("topic", "hashtags")
        .len()
        .sort(["topic", "len", "hashtags"], descending=[False, True, False])
        .group_by("topic", maintain_order=True)
        .agg(pl.col("hashtags").head(5).alias("top_hashtags"))
    )
    summary = frame.group_by("topic").agg(
        pl.len().cast(pl.Int64).alias("posts"),
        *_LABEL_COUNTS,
        pl.col(SCORE).mean().cast(pl.Float64).alias("mean_score"),
        pl.col("image_score").mean().cast(pl.Float64).alias("mean_image_score"),
        pl.col("created_at").dt.hour().n_unique().cast(pl.Int64).alias("active_hours"),
    )
    return (
        _shares(summary)
        .join(top_tags, on="topic", how="left")
        .with_columns(pl.lit(day.date()).alias("day"), pl.col("top_hashtags").fill_null([]))
        .select(
            "day",
            "topic",
            "posts",
            "positive",
            "neutral",
            "negative",
            "positive_share",
            "neutral_share",
            "negative_share",
            "mean_score",
            "mean_image_score",
            "active_hours",
            "top_hashtags",
        )
        .sort("topic")
    )


def user_sentiment_hourly(enriched: pl.DataFrame) -> pl.DataFrame:
    """Per author and hour: posts, label counts, score sum and scored posts, last post time.
    Summed over hours (a view in the warehouse) they give each user's sentiment profile."""
    return (
        enriched.with_columns(pl.col("created_at").dt.truncate("1h").alias("hour"))
        .group_by("author_id", "hour")
        .agg(
            pl.len().cast(pl.Int64).alias("posts"),
            *_LABEL_COUNTS,
            pl.col(SCORE).is_not_null().sum().cast(pl.Int64).alias("scored"),
            pl.col(SCORE).sum().cast(pl.Float64).alias("score_sum"),
            pl.col("created_at").max().alias("last_seen"),
            pl.col("author_handle").drop_nulls().last().alias("handle"),
        )
        .sort("author_id")
    )


USER_PROFILE_VIEW = f"""
CREATE OR REPLACE VIEW {USER_SENTIMENT_PROFILE} AS
SELECT author_id AS user_id,
       arg_max(handle, last_seen) AS handle,
       sum(posts) AS posts,
       sum(score_sum) / nullif(sum(scored), 0) AS mean_score,
       CASE WHEN sum(positive) + sum(neutral) + sum(negative) = 0 THEN NULL
            WHEN sum(positive) >= sum(neutral) AND sum(positive) >= sum(negative) THEN 'positive'
            WHEN sum(negative) >= sum(neutral) THEN 'negative'
            ELSE 'neutral' END AS dominant_sentiment,
       sum(positive) AS positive, sum(neutral) AS neutral, sum(negative) AS negative,
       max(last_seen) AS last_seen
FROM {USER_SENTIMENT_HOURLY}
GROUP BY author_id
"""
