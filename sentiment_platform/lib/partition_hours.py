"""Hours and their partition keys: the partitioning's arithmetic, free of Dagster (the sources
and Spark tasks use it; ``partitions.py`` builds Dagster's definitions on it)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta

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
