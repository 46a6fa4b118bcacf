"""The one hourly partitioning shared by every post-level asset, and helpers around its keys."""

from __future__ import annotations

from datetime import datetime, timedelta

from dagster import (
    BackfillPolicy,
    DailyPartitionsDefinition,
    FreshnessPolicy,
    HourlyPartitionsDefinition,
    TimeWindowPartitionMapping,
)

from sentiment_platform.lib.partition_hours import (
    DEFAULT_PARTITIONS_START,
    PARTITION_KEY_FORMAT,
    PARTITIONS_START,
    PARTITIONS_START_SETTING,
    floor_hour,
    hour_partition_key,
    last_complete_hours,
    partition_hour,
    partitions_start,
)

__all__ = [  # the hours' arithmetic, beside the definitions built on it
    "DEFAULT_PARTITIONS_START",
    "PARTITIONS_START",
    "PARTITIONS_START_SETTING",
    "PARTITION_KEY_FORMAT",
    "daily_partitions",
    "floor_hour",
    "hour_partition_key",
    "hourly_freshness",
    "hourly_partitions",
    "last_complete_hours",
    "partition_hour",
    "partitions_start",
    "run_hours",
    "single_run",
    "trailing_partitions",
]

#: ``end_offset=1``: the hour in progress is a partition too, so pushed data (the landing sensor)
#: is processed as it arrives, not only once the hour has closed.
hourly_partitions = HourlyPartitionsDefinition(
    start_date=PARTITIONS_START.strftime(PARTITION_KEY_FORMAT),
    timezone="UTC",
    fmt=PARTITION_KEY_FORMAT,
    end_offset=1,
)

#: Daily rollups: each day maps onto its 24 hourly partitions (Dagster's time-window mapping); today
#: is a partition too, a rollup of the hours so far.
daily_partitions = DailyPartitionsDefinition(
    start_date=PARTITIONS_START.strftime("%Y-%m-%d"), timezone="UTC", end_offset=1
)


def trailing_partitions(count: int) -> TimeWindowPartitionMapping:
    """A dependency on the upstream partitions of the downstream partition's window and the ``count``
    windows before it (counted in downstream partitions: a day and 6 before it is 168 hourly
    partitions). Partitions before the first one simply do not exist, as for the first day of data."""
    return TimeWindowPartitionMapping(start_offset=-count, end_offset=0, allow_nonexistent_upstream_partitions=True)


#: Something must be materialized in every hour up to half past (evaluated by the daemon; the
#: UI shows the asset as late otherwise).
hourly_freshness = FreshnessPolicy.cron(deadline_cron="30 * * * *", lower_bound_delta=timedelta(hours=1))

#: Every partitioned asset processes a whole range at once (hour by hour, or on Spark), so a
#: backfill runs each as one run over its range: few runs to launch, models loaded once. A step's
#: RetryPolicy repeats the range; every hour of it is idempotent.
single_run = BackfillPolicy.single_run()


def run_hours(context) -> list[datetime]:
    """Every hour of a run's partition range: one for a normal run, many for a single-run backfill."""
    window = context.partition_time_window
    hours, hour = [], window.start
    while hour < window.end:
        hours.append(hour)
        hour += timedelta(hours=1)
    return hours
