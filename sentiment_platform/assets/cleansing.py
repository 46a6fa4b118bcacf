"""Group ``cleansing``: landed batches parsed, validated, deduplicated and normalised into Parquet."""

from typing import Callable, Sequence

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from sentiment_platform.assets.ingestion import read_landing
from sentiment_platform.automation import FOLLOW_UPSTREAM
from sentiment_platform.cleaning import (
    CleaningResult,
    CleaningRules,
    clean_interactions,
    clean_posts,
    clean_users,
)
from sentiment_platform.layout import cleansed_key, quarantine_prefix
from sentiment_platform.partitions import (
    hourly_partitions,
    one_partition_per_run,
    partition_hour,
)
from sentiment_platform.records import rejects_to_jsonl
from sentiment_platform.resources.storage import LakeStorage


def write_cleansed(
    storage: LakeStorage,
    dataset: str,
    partition_key: str,
    clean: Callable[[Sequence[tuple[str, bytes]]], CleaningResult],
) -> MaterializeResult:
    """Cleanse one hour of ``dataset`` and replace that hour in the cleansed and quarantine zones."""
    hour = partition_hour(partition_key)
    result = clean(read_landing(storage, dataset, partition_key))
    storage.write_parquet(cleansed_key(dataset, hour), result.cleaned)
    quarantined = rejects_to_jsonl(result.quarantined)
    storage.replace_prefix(quarantine_prefix(dataset, hour), {"rejected.jsonl": quarantined} if quarantined else {})
    counts = result.metadata()
    if counts["records_in"] != counts["cleaned"] + counts["duplicates"] + counts["quarantined"]:
        raise RuntimeError(f"cleansing of {dataset} {partition_key} lost records: {counts}")
    return MaterializeResult(metadata={
        **counts,
        "dagster/row_count": result.cleaned.height,
        "path": MetadataValue.path(storage.uri(cleansed_key(dataset, hour))),
        "quarantine": MetadataValue.path(storage.uri(quarantine_prefix(dataset, hour))),
    })


@asset(deps=["raw_posts"], partitions_def=hourly_partitions, backfill_policy=one_partition_per_run, group_name="cleansing",
       kinds={"polars", "parquet"}, automation_condition=FOLLOW_UPSTREAM)
def cleaned_posts(context: AssetExecutionContext, storage: LakeStorage) -> MaterializeResult:
    """The hour's posts: schema enforced, duplicates and retweets removed, text normalised, hashtags
    and mentions extracted; rejected records go to quarantine with their reason."""
    return write_cleansed(storage, "posts", context.partition_key, lambda files: clean_posts(files, CleaningRules()))


@asset(deps=["raw_users"], partitions_def=hourly_partitions, backfill_policy=one_partition_per_run, group_name="cleansing",
       kinds={"polars", "parquet"}, automation_condition=FOLLOW_UPSTREAM)
def cleaned_users(context: AssetExecutionContext, storage: LakeStorage) -> MaterializeResult:
    """The hour's user profiles, one row per user (the latest observation)."""
    return write_cleansed(storage, "users", context.partition_key, clean_users)


@asset(deps=["raw_interactions"], partitions_def=hourly_partitions, backfill_policy=one_partition_per_run, group_name="cleansing",
       kinds={"polars", "parquet"}, automation_condition=FOLLOW_UPSTREAM)
def cleaned_interactions(context: AssetExecutionContext, storage: LakeStorage) -> MaterializeResult:
    """The hour's likes, replies and reposts, validated and deduplicated."""
    return write_cleansed(storage, "interactions", context.partition_key, clean_interactions)
