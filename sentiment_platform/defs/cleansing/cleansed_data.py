"""Group ``cleansing``: landed batches parsed, validated, deduplicated and normalised into Parquet."""

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, ResourceParam

from sentiment_platform.defs.hourly_runs import HourlyRun, hourly_asset
from sentiment_platform.defs.ingestion.raw_data import landed_objects, read_landing
from sentiment_platform.lib.cleansing.cleaning import (
    CleaningResult,
    CleaningRules,
    clean_interactions,
    clean_posts,
    clean_users,
)
from sentiment_platform.lib.cleansing.records import rejects_to_jsonl
from sentiment_platform.lib.lake_layout import quarantine_prefix
from sentiment_platform.lib.lake_store import LakeStore
from sentiment_platform.lib.spark.cleansing_job import clean_posts_spark
from sentiment_platform.resources.spark_engine import SparkEngine


def store_cleansed(run: HourlyRun, dataset: str, results: Iterable[tuple[datetime, CleaningResult]]) -> None:
    """Replace each hour of ``dataset`` in the cleansed and quarantine zones, each hour's counts
    on its own partition; a count that does not add up fails the run."""
    storage = run.storage
    for hour, result in results:
        counts = result.metadata()
        if counts["records_in"] != counts["cleaned"] + counts["duplicates"] + counts["quarantined"]:
            raise RuntimeError(f"cleansing of {dataset} {hour:%Y-%m-%d %H:00} lost records: {counts}")
        quarantined = rejects_to_jsonl(result.quarantined)
        storage.replace_prefix(quarantine_prefix(dataset, hour), {"rejected.jsonl": quarantined} if quarantined else {})
        figures = {**counts, "quarantine": MetadataValue.path(storage.uri(quarantine_prefix(dataset, hour)))}
        run.write(f"cleaned_{dataset}", {hour: result.cleaned}, lambda _, figures=figures: figures)


def cleanse_hours(
    run: HourlyRun, dataset: str, clean: Callable[[Sequence[tuple[str, bytes]], datetime], CleaningResult]
) -> MaterializeResult:
    """Cleanse each hour of the run's range of ``dataset`` on Polars, one hour in memory at a time."""
    store_cleansed(run, dataset, ((hour, clean(read_landing(run.storage, dataset, hour), hour)) for hour in run.hours))
    return MaterializeResult(metadata=run.metadata())


_CLEANSING = {"group_name": "cleansing", "kinds": {"polars", "parquet"}}


@hourly_asset(deps=["raw_posts"], **{**_CLEANSING, "kinds": {"polars", "spark", "parquet"}})
def cleaned_posts(
    context: AssetExecutionContext, storage: ResourceParam[LakeStore], spark: SparkEngine
) -> MaterializeResult:
    """The hour's posts: schema enforced, duplicates and retweets removed, text normalised, hashtags
    and mentions extracted; rejected records go to quarantine with their reason. Runs on Polars, or
    on Spark when the run's input is over the `spark` resource's thresholds (or Spark is forced)."""
    run = HourlyRun.of(context, storage)
    rules = CleaningRules()
    landed = {hour: landed_objects(storage, "posts", hour) for hour in run.hours}
    choice = run.choose_engine(spark, landed)
    if choice.engine == "spark":
        results = clean_posts_spark(spark.spark_session, storage, landed, rules).items()
    else:  # a generator: one hour in memory at a time
        results = (
            (hour, clean_posts([(obj.key, storage.read_bytes(obj.key)) for obj in objects], rules, hour))
            for hour, objects in landed.items()
        )
    store_cleansed(run, "posts", results)
    return MaterializeResult(metadata=run.metadata(choice, spark))


@hourly_asset(deps=["raw_users"], **_CLEANSING)
def cleaned_users(context: AssetExecutionContext, storage: ResourceParam[LakeStore]) -> MaterializeResult:
    """Each hour's user profiles, one row per user (the latest observation)."""
    return cleanse_hours(HourlyRun.of(context, storage), "users", clean_users)


@hourly_asset(deps=["raw_interactions"], **_CLEANSING)
def cleaned_interactions(context: AssetExecutionContext, storage: ResourceParam[LakeStore]) -> MaterializeResult:
    """Each hour's likes, replies and reposts, validated and deduplicated."""
    return cleanse_hours(HourlyRun.of(context, storage), "interactions", clean_interactions)
