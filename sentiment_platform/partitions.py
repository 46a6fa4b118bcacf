"""The one hourly partitioning shared by every post-level asset, and helpers around its keys."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta

from dagster import (
    BackfillPolicy,
    DailyPartitionsDefinition,
    FreshnessPolicy,
    HourlyPartitionsDefinition,
    TimeWindowPartitionMapping,
)

#: The variable that sets the first day of the partitions (an ISO date), and its default.
PARTITIONS_START_SETTING = "SENTIMENT_PARTITIONS_START"
DEFAULT_PARTITIONS_START = "2026-01-01"


def partitions_start(env: Mapping[str, str] | None = None) -> datetime:
    """Midnight UTC of the ISO date ``SENTIMENT_PARTITIONS_START`` names (the default when unset).

    Read when the definitions are imported: the partitions are part of the graph's shape, so a code
    location (and every run it launches) sees one start for its lifetime.
    """
    text = (os.environ if env is None else env).get(PARTITIONS_START_SETTING) or DEFAULT_PARTITIONS_START
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{PARTITIONS_START_SETTING}={text!r}: expected an ISO date such as 2015-02-01") from None
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


#: First hour the platform holds data for; every hourly asset shares it so backfills chain cleanly.
PARTITIONS_START = partitions_start()
PARTITION_KEY_FORMAT = "%Y-%m-%d-%H:%M"

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


def partition_hour(partition_key: str) -> datetime:
    """The UTC start of the hour a partition key names."""
    return datetime.strptime(partition_key, PARTITION_KEY_FORMAT).replace(tzinfo=UTC)


def hour_partition_key(moment: datetime) -> str:
    """The partition key of the hour that contains ``moment`` (naive datetimes are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return floor_hour(moment).strftime(PARTITION_KEY_FORMAT)


def floor_hour(moment: datetime) -> datetime:
    """``moment`` in UTC with minutes, seconds and microseconds cut off."""
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def last_complete_hours(count: int, now: datetime) -> list[datetime]:
    """The ``count`` hours that have fully ended by ``now`` (the caller's clock), oldest first."""
    current = floor_hour(now)
    return [current - timedelta(hours=offset) for offset in range(count, 0, -1)]


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
