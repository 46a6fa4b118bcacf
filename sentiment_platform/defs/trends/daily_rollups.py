"""The daily rollups: each day's summary and recommendations, half past midnight UTC."""

from datetime import timedelta

from dagster import (
    AssetSelection,
    RunRequest,
    ScheduleEvaluationContext,
    define_asset_job,
)

from sentiment_platform.defs.automation import stopped_schedule
from sentiment_platform.partitions import floor_hour

daily_rollups_job = define_asset_job(
    "daily_rollups",
    selection=AssetSelection.assets("topic_daily_summary", "recommendations"),
    description="The daily rollups and recommendations of one day.",
)


@stopped_schedule(daily_rollups_job, "30 0 * * *", "daily_rollups_schedule")
def daily_rollups_schedule(context: ScheduleEvaluationContext) -> RunRequest:
    """Half past midnight UTC, for the day just closed (its last hour has had time to arrive)."""
    key = (floor_hour(context.scheduled_execution_time) - timedelta(days=1)).strftime("%Y-%m-%d")
    return RunRequest(run_key=key, partition_key=key)
