"""Backfills from the command line: one run per hourly partition, resumable.

Runs are launched in this process against the Dagster instance and tagged with the backfill's id
(derived from the range and the assets unless given). Re-running the same command after an
interruption asks the instance which partitions already succeeded under that id and skips them,
so finished work is never redone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from dagster import (
    DagsterInstance,
    DagsterRunStatus,
    Definitions,
    RunsFilter,
    materialize,
)

from sentiment_platform.cli.progress import QUIET_RUN_CONFIG
from sentiment_platform.partitions import (
    hour_partition_key,
    hourly_partitions,
    partition_hour,
)

BACKFILL_TAG = "sentiment/backfill"


@dataclass
class BackfillReport:
    backfill_id: str
    partitions: list[str]
    skipped: list[str] = field(default_factory=list)
    succeeded: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def partition_range(start: str, end: str) -> list[str]:
    """Hourly partition keys from ``start`` to ``end`` inclusive (partition keys or ISO times)."""
    first, last = (_as_hour(value) for value in (start, end))
    if last < first:
        raise ValueError("--end is before --start")
    keys, hour = [], first
    while hour <= last:
        keys.append(hour_partition_key(hour))
        hour += timedelta(hours=1)
    return keys


def _as_hour(value: str) -> datetime:
    try:
        return partition_hour(value)
    except ValueError:
        return partition_hour(hour_partition_key(datetime.fromisoformat(value)))


def backfill_id(partitions: Sequence[str], assets: Sequence[str]) -> str:
    spec = f"{partitions[0]}|{partitions[-1]}|{','.join(sorted(assets))}"
    return "bf-" + hashlib.sha256(spec.encode()).hexdigest()[:12]


def finished_partitions(instance: DagsterInstance, identifier: str) -> set[str]:
    """Partitions with a successful run under this backfill id."""
    runs = instance.get_runs(RunsFilter(tags={BACKFILL_TAG: identifier}, statuses=[DagsterRunStatus.SUCCESS]))
    return {run.tags.get("dagster/partition") for run in runs if run.tags.get("dagster/partition")}


def run_backfill(
    defs: Definitions,
    instance: DagsterInstance,
    partitions: Sequence[str],
    assets: Sequence[str] | None = None,
    identifier: str | None = None,
    on_progress: Callable[[str, int, int, str], None] | None = None,
) -> BackfillReport:
    """Materialize ``assets`` (all hourly assets by default) for each partition not finished yet."""
    graph = defs.resolve_asset_graph()
    hourly = {
        node.key.to_user_string(): node.assets_def
        for node in graph.asset_nodes
        if node.assets_def.partitions_def == hourly_partitions
    }
    names = list(assets) if assets else sorted(hourly)
    unknown = sorted(set(names) - set(hourly))
    if unknown:
        raise ValueError(f"not hourly assets: {', '.join(unknown)}")
    selection = list({id(hourly[name]): hourly[name] for name in names}.values())
    everything = list({id(a): a for a in hourly.values()}.values())
    identifier = identifier or backfill_id(partitions, names)
    report = BackfillReport(identifier, list(partitions))
    done = finished_partitions(instance, identifier)
    for index, key in enumerate(partitions):
        if key in done:
            report.skipped.append(key)
            status = "skipped (done before)"
        else:
            result = materialize(
                everything,
                selection=[k for a in selection for k in a.keys if k.to_user_string() in names],
                partition_key=key,
                instance=instance,
                tags={BACKFILL_TAG: identifier},
                run_config=QUIET_RUN_CONFIG,
                raise_on_error=False,
            )
            (report.succeeded if result.success else report.failed).append(key)
            status = "ok" if result.success else "failed"
        if on_progress:
            on_progress(key, index + 1, len(partitions), status)
    return report
