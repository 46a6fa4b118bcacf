"""Group ``cleansing``: landed batches parsed, validated, deduplicated and normalised into Parquet."""

from collections.abc import Callable, Sequence
from datetime import datetime

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from sentiment_platform.defs.automation import FOLLOW_UPSTREAM
from sentiment_platform.defs.engine_runs import (
    engine_metadata,
    hours_metadata,
    input_bytes,
    stamp_partitions,
)
from sentiment_platform.defs.ingestion.raw_data import landed_objects, read_landing
from sentiment_platform.lib.cleansing.cleaning import (
    CleaningResult,
    CleaningRules,
    clean_interactions,
    clean_posts,
    clean_users,
)
from sentiment_platform.lib.cleansing.records import rejects_to_jsonl
from sentiment_platform.lib.lake_layout import dataset_key, quarantine_prefix
from sentiment_platform.lib.spark.cleansing_job import clean_posts_spark
from sentiment_platform.partitions import (
    hourly_partitions,
    run_hours,
    single_run,
)
from sentiment_platform.resources.lake_storage import LakeStorage
from sentiment_platform.resources.spark_engine import SparkEngine


def store_cleansed(storage: LakeStorage, dataset: str, hour: datetime, result: CleaningResult) -> dict[str, int]:
    """Replace ``hour`` of ``dataset`` in the cleansed and quarantine zones; returns the counts."""
    counts = result.metadata()
    if counts["records_in"] != counts["cleaned"] + counts["duplicates"] + counts["quarantined"]:
        raise RuntimeError(f"cleansing of {dataset} {hour:%Y-%m-%d %H:00} lost records: {counts}")
    storage.write_parquet(dataset_key(f"cleaned_{dataset}", hour), result.cleaned)
    quarantined = rejects_to_jsonl(result.quarantined)
    storage.replace_prefix(quarantine_prefix(dataset, hour), {"rejected.jsonl": quarantined} if quarantined else {})
    return counts


def cleanse_hours(
    context: AssetExecutionContext,
    storage: LakeStorage,
    dataset: str,
    clean: Callable[[Sequence[tuple[str, bytes]], datetime], CleaningResult],
) -> MaterializeResult:
    """Cleanse each hour of the run's range of ``dataset`` and replace those hours in the cleansed
    and quarantine zones, each hour's counts on its own partition."""
    hours = run_hours(context)
    per_hour = {}
    for hour in hours:
        result = clean(read_landing(storage, dataset, hour), hour)
        per_hour[hour] = {
            **store_cleansed(storage, dataset, hour, result),
            "dagster/row_count": result.cleaned.height,
            "path": MetadataValue.path(storage.uri(dataset_key(f"cleaned_{dataset}", hour))),
            "quarantine": MetadataValue.path(storage.uri(quarantine_prefix(dataset, hour))),
        }
    stamp_partitions(context, per_hour)
    return MaterializeResult(metadata=hours_metadata(hours))


@asset(
    deps=["raw_posts"],
    partitions_def=hourly_partitions,
    backfill_policy=single_run,
    group_name="cleansing",
    kinds={"polars", "spark", "parquet"},
    automation_condition=FOLLOW_UPSTREAM,
)
def cleaned_posts(context: AssetExecutionContext, storage: LakeStorage, spark: SparkEngine) -> MaterializeResult:
    """The hour's posts: schema enforced, duplicates and retweets removed, text normalised, hashtags
    and mentions extracted; rejected records go to quarantine with their reason. Runs on Polars, or
    on Spark when the run's input is over the `spark` resource's thresholds (or Spark is forced)."""
    hours = run_hours(context)
    rules = CleaningRules()
    landed = {hour: landed_objects(storage, "posts", hour) for hour in hours}
    choice = spark.choose(size_bytes=input_bytes(landed))
    context.log.info(f"cleaned_posts on {choice.engine}: {choice.reason}")
    if choice.engine == "spark":
        results = clean_posts_spark(spark.spark_session, storage, landed, rules).items()
    else:  # a generator: one hour in memory at a time
        results = (
            (hour, clean_posts([(obj.key, storage.read_bytes(obj.key)) for obj in objects], rules, hour))
            for hour, objects in landed.items()
        )
    per_hour = {hour: store_cleansed(storage, "posts", hour, result) for hour, result in results}
    stamp_partitions(
        context,
        {
            hour: {
                **counts,
                "dagster/row_count": counts["cleaned"],
                "path": MetadataValue.path(storage.uri(dataset_key("cleaned_posts", hour))),
                "quarantine": MetadataValue.path(storage.uri(quarantine_prefix("posts", hour))),
            }
            for hour, counts in per_hour.items()
        },
    )
    return MaterializeResult(metadata=engine_metadata(choice, spark, hours))


@asset(
    deps=["raw_users"],
    partitions_def=hourly_partitions,
    backfill_policy=single_run,
    group_name="cleansing",
    kinds={"polars", "parquet"},
    automation_condition=FOLLOW_UPSTREAM,
)
def cleaned_users(context: AssetExecutionContext, storage: LakeStorage) -> MaterializeResult:
    """Each hour's user profiles, one row per user (the latest observation)."""
    return cleanse_hours(context, storage, "users", clean_users)


@asset(
    deps=["raw_interactions"],
    partitions_def=hourly_partitions,
    backfill_policy=single_run,
    group_name="cleansing",
    kinds={"polars", "parquet"},
    automation_condition=FOLLOW_UPSTREAM,
)
def cleaned_interactions(context: AssetExecutionContext, storage: LakeStorage) -> MaterializeResult:
    """Each hour's likes, replies and reposts, validated and deduplicated."""
    return cleanse_hours(context, storage, "interactions", clean_interactions)
