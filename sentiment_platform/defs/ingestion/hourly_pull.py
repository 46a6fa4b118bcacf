"""The hourly pull: one hour of posts and images, a minute after the hour closes, and again any
recent hour whose pull was cut short by a rate limit."""

from datetime import datetime, timedelta

from dagster import (
    AssetKey,
    AssetRecordsFilter,
    AssetSelection,
    DagsterInstance,
    RunRequest,
    ScheduleEvaluationContext,
    define_asset_job,
)

from sentiment_platform.defs.automation import stopped_schedule
from sentiment_platform.partitions import (
    floor_hour,
    hour_partition_key,
)

hourly_ingestion_job = define_asset_job(
    "hourly_ingestion",
    selection=AssetSelection.assets("raw_posts", "raw_users", "raw_interactions", "raw_images"),
    description="Pull (or read) one hour of posts and images; the rest of the graph follows by automation.",
)


#: How far back a tick looks for hours whose pull ended a topic as ``rate_limited``.
RETRY_HOURS = 24
#: The per-hour metadata of ``raw_posts`` that counts the topics a rate limit cut short.
RATE_LIMITED_TOPICS = "rate_limited_topics"


def rate_limited_pulls(instance: DagsterInstance, hours: list[datetime]) -> list[tuple[str, int]]:
    """(partition key, storage id) of each of ``hours`` whose latest ``raw_posts`` materialization
    says a rate limit ended some topic's pull (so that hour is pulled again)."""
    found = []
    for hour in hours:
        key = hour_partition_key(hour)
        records = instance.fetch_materializations(
            AssetRecordsFilter(asset_key=AssetKey("raw_posts"), asset_partitions=[key]), limit=1
        ).records
        if records:
            metadata = records[0].asset_materialization.metadata
            value = metadata.get(RATE_LIMITED_TOPICS)
            if value is not None and value.value:
                found.append((key, records[0].storage_id))
    return found


@stopped_schedule(hourly_ingestion_job, "1 * * * *", "hourly_pull")
def hourly_pull_schedule(context: ScheduleEvaluationContext) -> list[RunRequest]:
    """A minute past the hour, for the hour just closed (the partitions include the hour in
    progress, so the last partition is not the one to pull), and once more for each of the
    ``RETRY_HOURS`` before it whose last pull a rate limit cut short (landing an hour again
    replaces what it landed, so nothing is counted twice)."""
    closed = floor_hour(context.scheduled_execution_time) - timedelta(hours=1)
    key = hour_partition_key(closed)
    earlier = [closed - timedelta(hours=n) for n in range(1, RETRY_HOURS + 1)]
    retries = [
        RunRequest(run_key=f"{hour_key}:after-rate-limit:{storage_id}", partition_key=hour_key)
        for hour_key, storage_id in rate_limited_pulls(context.instance, earlier)
    ]
    return [RunRequest(run_key=key, partition_key=key), *retries]
