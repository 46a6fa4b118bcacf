"""The daily rollups: each day's summary and recommendations, half past midnight UTC."""

from datetime import timedelta

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    RunRequest,
    ScheduleEvaluationContext,
    define_asset_job,
    schedule,
)

from sentiment_platform.partitions import daily_partitions, floor_hour

daily_rollups_job = define_asset_job(
    "daily_rollups",
    selection=AssetSelection.assets("topic_daily_summary", "recommendations"),
    partitions_def=daily_partitions,
    description="The daily rollups and recommendations of one day.",
)


@schedule(
    job=daily_rollups_job,
    cron_schedule="30 0 * * *",
    execution_timezone="UTC",
    name="daily_rollups_schedule",
    default_status=DefaultScheduleStatus.STOPPED,
)
def daily_rollups_schedule(context: ScheduleEvaluationContext) -> RunRequest:
    """Half past midnight UTC, for the day just closed (its last hour has had time to arrive)."""
    key = (floor_hour(context.scheduled_execution_time) - timedelta(days=1)).strftime("%Y-%m-%d")
    return RunRequest(run_key=key, partition_key=key)
