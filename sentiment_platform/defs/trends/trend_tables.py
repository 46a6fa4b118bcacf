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
    ResourceParam,
    TimeWindowPartitionMapping,
    asset,
)

from sentiment_platform.defs.automation import follow_upstream_with_look_back
from sentiment_platform.defs.hourly_runs import HourlyRun, hourly_asset
from sentiment_platform.lib.alerts import TRAILING_WINDOWS, AlertRules, detect_alerts
from sentiment_platform.lib.lake_layout import dataset_key
from sentiment_platform.lib.lake_store import LakeStore
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
from sentiment_platform.lib.warehouse_schema import (
    HASHTAG_TRENDS,
    LANGUAGE_TRENDS,
    POSTS,
    SENTIMENT_TRENDS,
    TOPIC_DAILY_SUMMARY,
    USER_SENTIMENT_HOURLY,
    USER_SENTIMENT_PROFILE,
)
from sentiment_platform.lib.warehouse_tables import replace_range
from sentiment_platform.partitions import daily_partitions, hourly_freshness, single_run, trailing_partitions
from sentiment_platform.resources.notifiers import AlertNotifier
from sentiment_platform.resources.spark_engine import EngineChoice, SparkEngine
from sentiment_platform.resources.warehouse import WAREHOUSE_POOL, Warehouse, as_utc

_TRENDS = {"group_name": "trends", "kinds": {"duckdb"}, "pool": WAREHOUSE_POOL}
#: The alert checks compare each window with its topic's trend rows of the 24 hours before the run's
#: hours: a dependency of the asset on its own earlier partitions (Dagster keeps no partition mapping
#: on a check's dependencies, so it is declared on the asset that computes the checks).
_ALERT_HISTORY = AssetDep(
    "sentiment_trends_15m",
    partition_mapping=TimeWindowPartitionMapping(
        start_offset=-(TRAILING_WINDOWS // 4), end_offset=-1, allow_nonexistent_upstream_partitions=True
    ),
)


def read_enriched(storage: LakeStore, hours: list[datetime]) -> pl.DataFrame | None:
    """The enriched posts of the given hours that exist in the lake (None if none does)."""
    frames = [
        storage.read_parquet(dataset_key("enriched_posts", hour))
        for hour in hours
        if storage.exists(dataset_key("enriched_posts", hour))
    ]
    return pl.concat(frames, how="vertical_relaxed") if frames else None


def _window_rows(
    run: HourlyRun,
    spark: SparkEngine,
    dimensions: tuple[str, ...],
    compute: Callable[[pl.DataFrame], pl.DataFrame],
) -> tuple[pl.DataFrame, EngineChoice]:
    """The 15-minute rows of the run's hours keyed by ``dimensions``: by ``compute`` (Polars), or
    on Spark when the run's input is over the engine's thresholds."""
    inputs = run.inputs("enriched_posts", required=False)
    if not any(inputs.values()):
        run.inputs("enriched_posts")  # says which hour to materialize first
    choice = run.choose_engine(spark, inputs)
    if choice.engine == "spark":
        return trends_15m_spark(spark.spark_session, run.storage, inputs, dimensions), choice
    return compute(read_enriched(run.storage, run.hours)), choice


def _enriched_hours(run: HourlyRun) -> pl.DataFrame:
    """The enriched posts of the run's hours that exist; none existing is an error."""
    enriched = read_enriched(run.storage, run.hours)
    if enriched is None:
        run.inputs("enriched_posts")  # raises, naming the first hour to materialize
    return enriched


@hourly_asset(
    deps=["enriched_posts", _ALERT_HISTORY],
    **{**_TRENDS, "kinds": {"duckdb", "spark"}},
    automation_condition=follow_upstream_with_look_back("enriched_posts", own_history="sentiment_trends_15m"),
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
    storage: ResourceParam[LakeStore],
    warehouse: Warehouse,
    notifier: AlertNotifier,
    spark: SparkEngine,
):
    """Per 15-minute window and topic: posts, positive/neutral/negative counts and shares, mean
    score and confidence, image-bearing posts and their mean image score. Aggregated by Polars,
    or by Spark when the run's input is over the thresholds."""
    run = HourlyRun.of(context, storage)
    trends, choice = _window_rows(run, spark, ("topic",), compute_trends_15m)
    rules = AlertRules()
    with warehouse.write() as connection:
        replace_range(connection, SENTIMENT_TRENDS, trends, run.start, run.end)
        history = as_utc(
            connection.sql(
                f"SELECT window_start, topic, posts, negative_share FROM {SENTIMENT_TRENDS} "
                "WHERE window_start >= $1 AND window_start < $2",
                params=[run.start - timedelta(minutes=15 * TRAILING_WINDOWS), run.end],
            ).pl()
        )
        alerts = detect_alerts(trends, history, rules)
        sent = notifier.notify(alerts, connection)
    run.stamp_rows(
        trends,
        "window_start",
        lambda rows: {
            "windows": rows["window_start"].n_unique(),
            "topics": rows["topic"].n_unique(),
            "posts": int(rows["posts"].sum()),
        },
    )
    yield MaterializeResult(metadata=run.metadata(choice, spark))
    yield shares_check(trends)
    yield from alert_checks(alerts, sent, rules)


def shares_check(trends: pl.DataFrame) -> AssetCheckResult:
    """Label counts add up to at most the posts, shares sum to 1, no null keys."""
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
    return AssetCheckResult(
        check_name="shares_are_consistent", passed=consistent, metadata={"max_share_sum_error": float(share_sum or 0.0)}
    )


def alert_checks(alerts: list, sent: list, rules: AlertRules) -> list[AssetCheckResult]:
    """One warning check per alert kind: the run's alerts of that kind and how many were newly sent."""
    results = []
    for kind in ("negative_share_spike", "volume_anomaly"):
        found = [alert for alert in alerts if alert.kind == kind]
        results.append(
            AssetCheckResult(
                check_name=kind,
                passed=not found,
                severity=AssetCheckSeverity.WARN,
                metadata={
                    "alerts": MetadataValue.json([a.as_dict() for a in found]),
                    "newly_sent": sum(1 for a in sent if a.kind == kind),
                    "threshold_z": rules.negative_share_z if kind == "negative_share_spike" else rules.volume_z,
                },
            )
        )
    return results


@hourly_asset(deps=["enriched_posts"], **{**_TRENDS, "kinds": {"duckdb", "spark"}})
def language_trends_15m(
    context: AssetExecutionContext, storage: ResourceParam[LakeStore], warehouse: Warehouse, spark: SparkEngine
) -> MaterializeResult:
    """Per 15-minute window, topic and language: the columns of ``sentiment_trends_15m``, for
    reading trends per language (the API's ``lang`` filter, the report's chart by language)."""
    run = HourlyRun.of(context, storage)
    trends, choice = _window_rows(run, spark, LANGUAGE_DIMENSIONS, compute_language_trends)
    with warehouse.write() as connection:
        replace_range(connection, LANGUAGE_TRENDS, trends, run.start, run.end)
    run.stamp_rows(
        trends,
        "window_start",
        lambda rows: {
            "languages": rows["lang"].n_unique(),
            "posts": int(rows["posts"].sum()),
            "unsupported": int(rows["unsupported"].sum()),
        },
    )
    return MaterializeResult(metadata=run.metadata(choice, spark))


@hourly_asset(
    deps=[AssetDep("enriched_posts", partition_mapping=trailing_partitions(TRAILING_HOURS))],
    **_TRENDS,
    automation_condition=follow_upstream_with_look_back("enriched_posts"),
)
def hashtag_trends(
    context: AssetExecutionContext, storage: ResourceParam[LakeStore], warehouse: Warehouse
) -> MaterializeResult:
    """Per hour and hashtag: volume, mean score, negative share, and the change against the
    previous hour and against the trailing 24 hours."""
    run = HourlyRun.of(context, storage)
    run.inputs("enriched_posts")
    # One read of the range and the day before it, however many hours the run covers.
    trailing = [run.start - timedelta(hours=h) for h in range(TRAILING_HOURS, 0, -1)]
    stats = hashtag_hour_stats(read_enriched(storage, trailing + run.hours))
    table = pl.concat([compute_hashtag_trends(stats, hour) for hour in run.hours])
    with warehouse.write() as connection:
        replace_range(connection, HASHTAG_TRENDS, table, run.start, run.end)
    run.stamp_rows(table, "hour", lambda rows: {"hashtags": rows["hashtag"].n_unique()})
    return MaterializeResult()


@asset(deps=["enriched_posts"], partitions_def=daily_partitions, backfill_policy=single_run, **_TRENDS)
def topic_daily_summary(
    context: AssetExecutionContext, storage: ResourceParam[LakeStore], warehouse: Warehouse
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
        replace_range(connection, TOPIC_DAILY_SUMMARY, table, days[0].date(), window.end.date())
    return MaterializeResult(metadata={"dagster/row_count": table.height, "hours_with_posts": hours_found})


@hourly_asset(deps=["enriched_posts"], **_TRENDS)
def user_sentiment_profile(
    context: AssetExecutionContext, storage: ResourceParam[LakeStore], warehouse: Warehouse
) -> MaterializeResult:
    """Per author over all hours: posts, mean score, dominant sentiment, last seen. The hour's
    per-author rows are replaced in ``user_sentiment_hourly``; the profile is a view summing them."""
    run = HourlyRun.of(context, storage)
    table = user_sentiment_hourly(_enriched_hours(run))
    with warehouse.write() as connection:
        replace_range(connection, USER_SENTIMENT_HOURLY, table, run.start, run.end)
        connection.execute(USER_PROFILE_VIEW)
        users = connection.execute(f"SELECT count(*) FROM {USER_SENTIMENT_PROFILE}").fetchone()[0]
    run.stamp_rows(table, "hour")
    return MaterializeResult(metadata={"users_in_profile": users})


@hourly_asset(deps=["enriched_posts"], **_TRENDS)
def warehouse_posts(
    context: AssetExecutionContext, storage: ResourceParam[LakeStore], warehouse: Warehouse
) -> MaterializeResult:
    """The hour's enriched posts in the warehouse (``posts`` table), for lookups by id in the API."""
    run = HourlyRun.of(context, storage)
    posts = _enriched_hours(run).select(POSTS.columns)
    with warehouse.write() as connection:
        replace_range(connection, POSTS, posts, run.start, run.end)
        elsewhere = keep_earliest_post(connection, run.start, run.end)
    run.stamp_rows(posts, "created_at")
    return MaterializeResult(metadata={"ids_in_other_hours": elsewhere})


def keep_earliest_post(connection, start: datetime, end: datetime) -> int:
    """Where an id of the hours ``[start, end)`` is also in another hour of ``posts`` (the same id
    sent with two creation times), keep only its earliest row, whichever hour runs first, so an id
    is in one partition only. Returns how many rows of such ids were dropped."""
    removed = connection.execute(
        f"DELETE FROM {POSTS} AS p USING (SELECT post_id, min(created_at) AS first_at FROM {POSTS} WHERE post_id IN "
        f"(SELECT post_id FROM {POSTS} WHERE created_at >= $1 AND created_at < $2) GROUP BY post_id) AS f "
        "WHERE p.post_id = f.post_id AND p.created_at > f.first_at",
        [start, end],
    ).fetchone()
    return int(removed[0]) if removed else 0
