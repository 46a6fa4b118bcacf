"""The warehouse's tables, in one place: each table's name, the column a partition's rows are
replaced by, and its columns. The assets that write a table (through
:func:`~sentiment_platform.lib.warehouse_tables.replace_range`, which refuses a frame whose columns
are not these), the API's SQL and the report read their names from here."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class WarehouseTable:
    """A table replaced partition by partition: rows whose ``range_column`` lies in a partition's
    range are that partition's."""

    name: str
    range_column: str
    columns: tuple[str, ...]

    def __str__(self) -> str:
        return self.name


_WINDOW_FIGURES = (
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
SENTIMENT_TRENDS = WarehouseTable(
    "sentiment_trends_15m", "window_start", ("window_start", "window_end", "topic", *_WINDOW_FIGURES)
)
LANGUAGE_TRENDS = WarehouseTable(
    "language_trends_15m", "window_start", ("window_start", "window_end", "topic", "lang", *_WINDOW_FIGURES)
)
HASHTAG_TRENDS = WarehouseTable(
    "hashtag_trends",
    "hour",
    (
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
    ),
)
TOPIC_DAILY_SUMMARY = WarehouseTable(
    "topic_daily_summary",
    "day",
    (
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
    ),
)
USER_SENTIMENT_HOURLY = WarehouseTable(
    "user_sentiment_hourly",
    "hour",
    ("author_id", "hour", "posts", "positive", "neutral", "negative", "scored", "score_sum", "last_seen", "handle"),
)
#: The view over ``user_sentiment_hourly``: one row per author over all hours.
USER_SENTIMENT_PROFILE = "user_sentiment_profile"
POSTS = WarehouseTable(
    "posts",
    "created_at",
    (
        "post_id",
        "author_id",
        "created_at",
        "topic",
        "lang",
        "text",
        "hashtags",
        "sentiment",
        "score",
        "p_negative",
        "p_neutral",
        "p_positive",
        "confidence",
        "text_model",
        "image_count",
        "image_score",
        "image_label",
        "image_keys",
        "post_label",
        "post_score",
        "like_count",
        "repost_count",
        "reply_count",
    ),
)
RECOMMENDATIONS = WarehouseTable(
    "recommendations",
    "day",
    ("user_id", "rank", "post_id", "topic", "score", "model_score", "topic_affinity", "popularity", "day"),
)
POPULAR_POSTS = WarehouseTable("popular_posts", "day", ("rank", "post_id", "score", "topic", "day"))
#: The alerts sent (one row per alert, kept by the notifier: not replaced by partition).
ALERTS_SENT = "alerts_sent"
