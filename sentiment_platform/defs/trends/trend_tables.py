"""Group ``trends``: trend tables in the DuckDB warehouse, one partition's rows replaced per run."""

from collections.abc import Callable
from datetime import datetime, timedelta

import polars as pl
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetDep,
    AssetExecutionContext,
    MaterializeResult,
    MetadataValue,
    TimeWindowPartitionMapping,
    asset,
)

from sentiment_platform.defs.automation import FOLLOW_UPSTREAM, follow_upstream_with_look_back
from sentiment_platform.defs.engine_runs import (
    engine_metadata,
    existing_objects,
    input_bytes,
    parquet_input_rows,
    stamp_partitions,
)
from sentiment_platform.lib.alerts import TRAILING_WINDOWS, AlertRules, detect_alerts
from sentiment_platform.lib.lake_layout import dataset_key
from sentiment_platform.lib.spark.trends_job import trends_15m_spark
from sentiment_platform.lib.trends import (
    LANGUAGE_DIMENSIONS,
    TRAILING_HOURS,
    USER_PROFILE_VIEW,
    hashtag_hour_stats,
    user_sentiment_hourly,
)
from sentiment_platform.lib.trends import (
    hashtag_trends as compute_hashtag_trends,
)
from sentiment_platform.lib.trends import (
    language_trends_15m as compute_language_trends,
)
from sentiment_platform.lib.trends import (
    sentiment_trends_15m as compute_trends_15m,
)
from sentiment_platform.lib.trends import (
    topic_daily_summary as compute_topic_daily,
)
from sentiment_platform.lib.warehouse_tables import replace_range
from sentiment_platform.partitions import (
    daily_partitions,
    hourly_freshness,
    hourly_partitions,
    run_hours,
    single_run,
    trailing_partitions,
)
from sentiment_platform.resources.lake_storage import LakeStorage
from sentiment_platform.resources.notifiers import AlertNotifier
from sentiment_platform.resources.spark_engine import EngineChoice, SparkEngine
from sentiment_platform.resources.warehouse import WAREHOUSE_POOL, Warehouse, as_utc

_COMMON = {"group_name": "trends", "kinds": {"duckdb"}, "pool": WAREHOUSE_POOL, "backfill_policy": single_run}
_HOURLY = {**_COMMON, "partitions_def": hourly_partitions, "automation_condition": FOLLOW_UPSTREAM}
#: The alert checks compare each window with its topic's trend rows of the 24 hours before the run's
#: hours: a dependency of the asset on its own earlier partitions (Dagster keeps no partition mapping
#: on a check's dependencies, so it is declared on the asset that computes the checks).
_ALERT_HISTORY = AssetDep(
    "sentiment_trends_15m",
    partition_mapping=TimeWindowPartitionMapping(
        start_offset=-(TRAILING_WINDOWS // 4), end_offset=-1, allow_nonexistent_upstream_partitions=True
    ),
)


def read_enriched(storage: LakeStorage, hours: list[datetime]) -> pl.DataFrame | None:
    """The enriched posts of the given hours that exist in the lake (None if none does)."""
    frames = [
        storage.read_parquet(dataset_key("enriched_posts", hour))
        for hour in hours
        if storage.exists(dataset_key("enriched_posts", hour))
    ]
    return pl.concat(frames, how="vertical_relaxed") if frames else None


def _require(frame: pl.DataFrame | None, hour: datetime) -> pl.DataFrame:
    if frame is None:
        raise FileNotFoundError(f"no enriched_posts for {hour:%Y-%m-%d %H:00}; materialize enriched_posts first")
    return frame


def _window_rows(
    context: AssetExecutionContext,
    storage: LakeStorage,
    spark: SparkEngine,
    hours: list[datetime],
    dimensions: tuple[str, ...],
    compute: Callable[[pl.DataFrame], pl.DataFrame],
) -> tuple[pl.DataFrame, EngineChoice]:
    """The 15-minute rows of ``hours`` keyed by ``dimensions``: by ``compute`` (Polars), or on
    Spark when the run's input is over the engine's thresholds."""
    inputs = existing_objects(storage, {hour: dataset_key("enriched_posts", hour) for hour in hours})
    if not any(inputs.values()):
        _require(None, hours[0])
    choice = spark.choose(rows=parquet_input_rows(storage, inputs), size_bytes=input_bytes(inputs))
    context.log.info(f"{context.asset_key.to_user_string()} on {choice.engine}: {choice.reason}")
    if choice.engine == "spark":
        return trends_15m_spark(spark.spark_session, storage, inputs, dimensions), choice
    return compute(read_enriched(storage, hours)), choice


@asset(
    deps=["enriched_posts", _ALERT_HISTORY],
    **{
        **_HOURLY,
        "kinds": {"duckdb", "spark"},
        "automation_condition": follow_upstream_with_look_back("enriched_posts", own_history="sentiment_trends_15m"),
    },
    freshness_policy=hourly_freshness,
    check_specs=[
        AssetCheckSpec(
            "shares_are_consistent",
            asset="sentiment_trends_15m",
            blocking=True,
            description="Label counts add up to at most the posts; shares sum to 1; no null keys.",
        ),
        AssetCheckSpec(
            "negative_share_spike",
            asset="sentiment_trends_15m",
            description="Negative share of a window far above its topic's trailing 24 hours (robust z).",
        ),
        AssetCheckSpec(
            "volume_anomaly",
            asset="sentiment_trends_15m",
            description="Post volume of a window far above its topic's trailing 24 hours (robust z).",
        ),
    ],
)
def sentiment_trends_15m(
    context: AssetExecutionContext,
    storage: LakeStorage,
    warehouse: Warehouse,
    notifier: AlertNotifier,
    spark: SparkEngine,
):
    """Per 15-minute window and topic: posts, positive/neutral/negative counts and shares, mean
    score and confidence, image-bearing posts and their mean image score. Aggregated by Polars,
    or by Spark when the run's input is over the thresholds."""
    hours = run_hours(context)
    trends, choice = _window_rows(context, storage, spark, hours, ("topic",), compute_trends_15m)
    start, end = hours[0], hours[-1] + timedelta(hours=1)
    rules = AlertRules()
    with warehouse.write() as connection:
        replace_range(connection, "sentiment_trends_15m", trends, "window_start", start, end)
        history = as_utc(
            connection.sql(
                "SELECT window_start, topic, posts, negative_share FROM sentiment_trends_15m "
                "WHERE window_start >= $1 AND window_start < $2",
                params=[start - timedelta(minutes=15 * TRAILING_WINDOWS), end],
            ).pl()
        )
        alerts = detect_alerts(trends, history, rules)
        sent = notifier.notify(alerts, connection)
    stamp_partitions(
        context,
        {
            hour: {
                "dagster/row_count": rows.height,
                "windows": rows["window_start"].n_unique(),
                "topics": rows["topic"].n_unique(),
                "posts": int(rows["posts"].sum()),
            }
            for hour, rows in rows_by_hour(trends, "window_start", hours).items()
        },
    )
    yield MaterializeResult(metadata=engine_metadata(choice, spark, hours))
    labeled = trends["positive"] + trends["neutral"] + trends["negative"]
    share_sum = (
        trends.filter(labeled > 0)
        .select((pl.col("positive_share") + pl.col("neutral_share") + pl.col("negative_share") - 1).abs().max())
        .item()
    )
    consistent = bool(
        (labeled <= trends["posts"]).all()
        and (share_sum is None or share_sum < 1e-9)
        and trends.select(pl.col("window_start", "topic").null_count().sum()).row(0) == (0, 0)
    )
    yield AssetCheckResult(
        check_name="shares_are_consistent", passed=consistent, metadata={"max_share_sum_error": float(share_sum or 0.0)}
    )
    for kind in ("negative_share_spike", "volume_anomaly"):
        found = [alert for alert in alerts if alert.kind == kind]
        yield AssetCheckResult(
            check_name=kind,
            passed=not found,
            severity=AssetCheckSeverity.WARN,
            metadata={
                "alerts": MetadataValue.json([a.as_dict() for a in found]),
                "newly_sent": sum(1 for a in sent if a.kind == kind),
                "threshold_z": rules.negative_share_z if kind == "negative_share_spike" else rules.volume_z,
            },
        )


@asset(deps=["enriched_posts"], **{**_HOURLY, "kinds": {"duckdb", "spark"}})
def language_trends_15m(
    context: AssetExecutionContext, storage: LakeStorage, warehouse: Warehouse, spark: SparkEngine
) -> MaterializeResult:
    """Per 15-minute window, topic and language: the columns of ``sentiment_trends_15m``, for
    reading trends per language (the API's ``lang`` filter, the report's chart by language)."""
    hours = run_hours(context)
    trends, choice = _window_rows(context, storage, spark, hours, LANGUAGE_DIMENSIONS, compute_language_trends)
    with warehouse.write() as connection:
        replace_range(
            connection, "language_trends_15m", trends, "window_start", hours[0], hours[-1] + timedelta(hours=1)
        )
    stamp_partitions(
        context,
        {
            hour: {
                "dagster/row_count": rows.height,
                "languages": rows["lang"].n_unique(),
                "posts": int(rows["posts"].sum()),
                "unsupported": int(rows["unsupported"].sum()),
            }
            for hour, rows in rows_by_hour(trends, "window_start", hours).items()
        },
    )
    return MaterializeResult(metadata=engine_metadata(choice, spark, hours))


@asset(
    deps=[AssetDep("enriched_posts", partition_mapping=trailing_partitions(TRAILING_HOURS))],
    **{**_HOURLY, "automation_condition": follow_upstream_with_look_back("enriched_posts")},
)
def hashtag_trends(context: AssetExecutionContext, storage: LakeStorage, warehouse: Warehouse) -> MaterializeResult:
    """Per hour and hashtag: volume, mean score, negative share, and the change against the
    previous hour and against the trailing 24 hours."""
    hours = run_hours(context)
    for hour in hours:
        if not storage.exists(dataset_key("enriched_posts", hour)):
            _require(None, hour)
    # One read of the range and the day before it, however many hours the run covers.
    trailing = [hours[0] - timedelta(hours=h) for h in range(TRAILING_HOURS, 0, -1)]
    stats = hashtag_hour_stats(read_enriched(storage, trailing + hours))
    table = pl.concat([compute_hashtag_trends(stats, hour) for hour in hours])
    with warehouse.write() as connection:
        replace_range(connection, "hashtag_trends", table, "hour", hours[0], hours[-1] + timedelta(hours=1))
    stamp_partitions(
        context,
        {
            hour: {"dagster/row_count": rows.height, "hashtags": rows["hashtag"].n_unique()}
            for hour, rows in rows_by_hour(table, "hour", hours).items()
        },
    )
    return MaterializeResult()


@asset(deps=["enriched_posts"], partitions_def=daily_partitions, **_COMMON)
def topic_daily_summary(
    context: AssetExecutionContext, storage: LakeStorage, warehouse: Warehouse
) -> MaterializeResult:
    """Per day and topic: posts, label counts and shares, mean text and image score, active hours,
    top hashtags; built from the hours of the day that exist."""
    window = context.partition_time_window
    days, day = [], window.start
    while day < window.end:
        days.append(day)
        day += timedelta(days=1)
    frames, hours_found = [], 0
    for day in days:
        enriched = read_enriched(storage, [day + timedelta(hours=h) for h in range(24)])
        if enriched is not None:
            hours_found += enriched["created_at"].dt.truncate("1h").n_unique()
            frames.append(compute_topic_daily(enriched, day))
    if not frames:
        raise FileNotFoundError(f"no enriched_posts in {window.start:%Y-%m-%d}..{window.end:%Y-%m-%d}")
    table = pl.concat(frames)
    with warehouse.write() as connection:
        replace_range(connection, "topic_daily_summary", table, "day", days[0].date(), window.end.date())
    return MaterializeResult(metadata={"dagster/row_count": table.height, "hours_with_posts": hours_found})


@asset(deps=["enriched_posts"], **_HOURLY)
def user_sentiment_profile(
    context: AssetExecutionContext, storage: LakeStorage, warehouse: Warehouse
) -> MaterializeResult:
    """Per author over all hours: posts, mean score, dominant sentiment, last seen. The hour's
    per-author rows are replaced in ``user_sentiment_hourly``; the profile is a view summing them."""
    hours = run_hours(context)
    table = user_sentiment_hourly(_require(read_enriched(storage, hours), hours[0]))
    with warehouse.write() as connection:
        replace_range(connection, "user_sentiment_hourly", table, "hour", hours[0], hours[-1] + timedelta(hours=1))
        connection.execute(USER_PROFILE_VIEW)
        users = connection.execute("SELECT count(*) FROM user_sentiment_profile").fetchone()[0]
    stamp_partitions(
        context, {hour: {"dagster/row_count": rows.height} for hour, rows in rows_by_hour(table, "hour", hours).items()}
    )
    return MaterializeResult(metadata={"users_in_profile": users})


POST_COLUMNS = [
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
]


@asset(deps=["enriched_posts"], **_HOURLY)
def warehouse_posts(context: AssetExecutionContext, storage: LakeStorage, warehouse: Warehouse) -> MaterializeResult:
    """The hour's enriched posts in the warehouse (``posts`` table), for lookups by id in the API."""
    hours = run_hours(context)
    posts = _require(read_enriched(storage, hours), hours[0]).select(POST_COLUMNS)
    start, end = hours[0], hours[-1] + timedelta(hours=1)
    with warehouse.write() as connection:
        replace_range(connection, "posts", posts, "created_at", start, end)
        elsewhere = keep_earliest_post(connection, start, end)
    stamp_partitions(
        context,
        {hour: {"dagster/row_count": rows.height} for hour, rows in rows_by_hour(posts, "created_at", hours).items()},
    )
    return MaterializeResult(metadata={"ids_in_other_hours": elsewhere})


def rows_by_hour(frame: pl.DataFrame, column: str, hours: list[datetime]) -> dict[datetime, pl.DataFrame]:
    """``frame``'s rows per hour of the run, by the hour ``column`` falls in (empty hours included)."""
    return {
        hour: frame.filter(pl.col(column).is_between(hour, hour + timedelta(hours=1), closed="left")) for hour in hours
    }


def keep_earliest_post(connection, start: datetime, end: datetime) -> int:
    """Where an id of the hours ``[start, end)`` is also in another hour of ``posts`` (the same id
    sent with two creation times), keep only its earliest row, whichever hour runs first, so an id
    is in one partition only. Returns how many rows of such ids were dropped."""
    removed = connection.execute(
        "DELETE FROM posts AS p USING (SELECT post_id, min(created_at) AS first_at FROM posts WHERE post_id IN "
        "(SELECT post_id FROM posts WHERE created_at >= $1 AND created_at < $2) GROUP BY post_id) AS f "
        "WHERE p.post_id = f.post_id AND p.created_at > f.first_at",
        [start, end],
    ).fetchone()
    return int(removed[0]) if removed else 0
