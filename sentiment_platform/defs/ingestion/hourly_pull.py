"""The hourly pull: one hour of posts and images, a minute after the hour closes."""

from datetime import timedelta

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    RunRequest,
    ScheduleEvaluationContext,
    define_asset_job,
    schedule,
)

from sentiment_platform.partitions import (
    floor_hour,
    hour_partition_key,
    hourly_partitions,
)

hourly_ingestion_job = define_asset_job(
    "hourly_ingestion",
    selection=AssetSelection.assets("raw_posts", "raw_users", "raw_interactions", "raw_images"),
    partitions_def=hourly_partitions,
    description="Pull (or read) one hour of posts and images; the rest of the graph follows by automation.",
)


@schedule(
    job=hourly_ingestion_job,
    cron_schedule="1 * * * *",
    execution_timezone="UTC",
    name="hourly_pull",
    default_status=DefaultScheduleStatus.STOPPED,
)
def hourly_pull_schedule(context: ScheduleEvaluationContext) -> RunRequest:
    """A minute past the hour, for the hour just closed (the partitions include the hour in
    progress, so the last partition is not the one to pull)."""
    closed = floor_hour(context.scheduled_execution_time) - timedelta(hours=1)
    key = hour_partition_key(closed)
    return RunRequest(run_key=key, partition_key=key)
