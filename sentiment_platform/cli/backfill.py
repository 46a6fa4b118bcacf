"""Backfills from the command line.

By default a backfill is submitted to the Dagster instance, exactly as the UI's "Materialize
partitions" does: the daemon (``dagster dev`` or ``dagster-daemon run``) launches its runs by each
asset's ``BackfillPolicy`` and in dependency order, the UI's Backfills tab shows it, and this
command follows it until it ends. ``--resume`` submits what a failed or canceled backfill left
unmaterialized as a new backfill (the UI's "Re-execute from failure").

``--in-process`` is for machines without a daemon: one run per hourly partition in this process,
tagged with the backfill's id; re-running the same command skips the partitions that succeeded.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from dagster import (
    AssetKey,
    DagsterInstance,
    DagsterRunStatus,
    Definitions,
    RunsFilter,
    materialize,
)
from dagster._core.definitions.assets.graph.asset_graph_subset import AssetGraphSubset
from dagster._core.execution.backfill import BULK_ACTION_TERMINAL_STATUSES, BulkActionStatus, PartitionBackfill
from dagster._core.storage.tags import PARENT_BACKFILL_ID_TAG, ROOT_BACKFILL_ID_TAG
from dagster._core.utils import make_new_backfill_id

from sentiment_platform.cli.progress import QUIET_RUN_CONFIG
from sentiment_platform.partitions import (
    PARTITIONS_START,
    PARTITIONS_START_SETTING,
    daily_partitions,
    hour_partition_key,
    hourly_partitions,
    partition_hour,
)

BACKFILL_TAG = "sentiment/backfill"
#: A daemon whose backfill heartbeat is older than this is taken as not running.
DAEMON_HEARTBEAT_SECONDS = 120
#: How long a followed backfill waits for a daemon that is still starting before saying none runs.
DAEMON_START_SECONDS = 60


@dataclass
class BackfillReport:
    backfill_id: str
    partitions: list[str]
    skipped: list[str] = field(default_factory=list)
    succeeded: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class BackfillProgress:
    """Where a submitted backfill stands: asset partitions materialized and failed of its target."""

    backfill_id: str
    status: BulkActionStatus
    materialized: int
    failed: int
    total: int

    @property
    def finished(self) -> bool:
        return self.status in BULK_ACTION_TERMINAL_STATUSES

    @property
    def succeeded(self) -> bool:
        return self.status in (BulkActionStatus.COMPLETED_SUCCESS, BulkActionStatus.COMPLETED) and not self.failed


def partition_range(start: str, end: str) -> list[str]:
    """Hourly partition keys from ``start`` to ``end`` inclusive (partition keys or ISO times)."""
    first, last = (_as_hour(value) for value in (start, end))
    if last < first:
        raise ValueError("--end is before --start")
    if first < PARTITIONS_START:
        raise ValueError(
            f"{hour_partition_key(first)} is before the first partition, {PARTITIONS_START:%Y-%m-%d}: "
            f"set {PARTITIONS_START_SETTING} (an ISO date) here and for the daemon's code location"
        )
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


def _partitioned_assets(defs: Definitions) -> dict[str, object]:
    """The hourly and daily assets by name (the models and the report are not backfilled)."""
    graph = defs.resolve_asset_graph()
    return {
        node.key.to_user_string(): node.partitions_def
        for node in graph.asset_nodes
        if node.partitions_def in (hourly_partitions, daily_partitions) and node.is_materializable
    }


def backfill_target(
    defs: Definitions, partitions: Sequence[str], assets: Sequence[str] | None = None
) -> AssetGraphSubset:
    """The asset partitions a backfill of ``partitions`` covers: each hourly asset's hours, and each
    daily asset's days that contain one of them (all partitioned assets unless ``assets`` says)."""
    partitioned = _partitioned_assets(defs)
    names = list(assets) if assets else sorted(partitioned)
    unknown = sorted(set(names) - set(partitioned))
    if unknown:
        raise ValueError(f"not partitioned assets: {', '.join(unknown)}")
    days = sorted({key[:10] for key in partitions})
    return AssetGraphSubset(
        partitions_subsets_by_asset_key={
            AssetKey(name): partitioned[name].subset_with_partition_keys(
                partitions if partitioned[name] == hourly_partitions else days
            )
            for name in names
        }
    )


def _add_backfill(
    instance: DagsterInstance,
    target: AssetGraphSubset,
    tags: dict[str, str],
    title: str | None,
    description: str | None,
    run_config: dict | None,
    timestamp: float | None,
) -> str:
    """Add an asset backfill of ``target`` to the instance for its daemon to run; returns its id."""
    identifier = make_new_backfill_id()
    instance.add_backfill(
        PartitionBackfill.from_asset_graph_subset(
            backfill_id=identifier,
            backfill_timestamp=timestamp if timestamp is not None else time.time(),
            tags=tags,
            dynamic_partitions_store=instance,
            asset_graph_subset=target,
            title=title,
            description=description,
            run_config=run_config,
        )
    )
    return identifier


def _stored_backfill(instance: DagsterInstance, identifier: str) -> PartitionBackfill:
    backfill = instance.get_backfill(identifier)
    if backfill is None:
        raise ValueError(f"no backfill {identifier} in this instance")
    return backfill


def submit_backfill(
    instance: DagsterInstance,
    defs: Definitions,
    partitions: Sequence[str],
    assets: Sequence[str] | None = None,
    timestamp: float | None = None,
) -> str:
    """Add a backfill of ``partitions`` to the instance for its daemon to run; returns its id."""
    return _add_backfill(
        instance,
        backfill_target(defs, partitions, assets),
        tags={},
        title=f"{partitions[0]} to {partitions[-1]}",
        description="submitted by `sentiment-platform backfill`",
        run_config=QUIET_RUN_CONFIG,
        timestamp=timestamp,
    )


def resume_backfill(
    instance: DagsterInstance, defs: Definitions, identifier: str, timestamp: float | None = None
) -> str:
    """Submit what the finished backfill ``identifier`` left unmaterialized as a new backfill."""
    backfill = _stored_backfill(instance, identifier)
    if backfill.status not in BULK_ACTION_TERMINAL_STATUSES:
        raise ValueError(f"backfill {identifier} is still {backfill.status.value.lower()}; wait for it or cancel it")
    data = backfill.get_asset_backfill_data(defs.resolve_asset_graph())
    remaining = data.target_subset - data.materialized_subset
    if remaining.num_partitions_and_non_partitioned_assets == 0:
        raise ValueError(f"backfill {identifier} materialized everything it targeted; nothing to resume")
    return _add_backfill(
        instance,
        remaining,
        tags={
            **backfill.tags,
            PARENT_BACKFILL_ID_TAG: identifier,
            ROOT_BACKFILL_ID_TAG: backfill.tags.get(ROOT_BACKFILL_ID_TAG, identifier),
        },
        title=f"Resumption of {backfill.title}" if backfill.title else None,
        description=backfill.description,
        run_config=backfill.run_config,
        timestamp=timestamp,
    )


def backfill_progress(instance: DagsterInstance, defs: Definitions, identifier: str) -> BackfillProgress:
    """The status and counts of a submitted backfill, as the UI's Backfills tab shows them."""
    backfill = _stored_backfill(instance, identifier)
    data = backfill.get_asset_backfill_data(defs.resolve_asset_graph())
    return BackfillProgress(
        identifier,
        backfill.status,
        data.materialized_subset.num_partitions_and_non_partitioned_assets,
        data.failed_and_downstream_subset.num_partitions_and_non_partitioned_assets,
        data.target_subset.num_partitions_and_non_partitioned_assets,
    )


def daemon_is_running(instance: DagsterInstance, now: float | None = None) -> bool:
    """Whether a daemon that runs backfills has sent a heartbeat lately."""
    heartbeat = instance.get_daemon_heartbeats().get("BACKFILL")
    moment = now if now is not None else time.time()
    return heartbeat is not None and moment - heartbeat.timestamp < DAEMON_HEARTBEAT_SECONDS


def wait_for_daemon(
    instance: DagsterInstance, seconds: float, sleep: Callable[[float], None] = time.sleep, poll: float = 2.0
) -> bool:
    """Whether a daemon is running within ``seconds`` (one started just before, as the README's
    ``dagster dev ... &`` is, sends its first heartbeat a few seconds later)."""
    waited = 0.0
    while not daemon_is_running(instance):
        if waited >= seconds:
            return False
        sleep(poll)
        waited += poll
    return True


def follow_backfill(
    instance: DagsterInstance,
    defs: Definitions,
    identifier: str,
    on_progress: Callable[[BackfillProgress], None],
    poll_seconds: float = 2.0,
    sleep: Callable[[float], None] = time.sleep,
) -> BackfillProgress:
    """Report the backfill's progress until it ends; returns its last state."""
    while True:
        progress = backfill_progress(instance, defs, identifier)
        on_progress(progress)
        if progress.finished:
            return progress
        sleep(poll_seconds)


def backfill_id(partitions: Sequence[str], assets: Sequence[str]) -> str:
    """The in-process backfill's id, derived from its range and assets (so a re-run resumes it)."""
    spec = f"{partitions[0]}|{partitions[-1]}|{','.join(sorted(assets))}"
    return "bf-" + hashlib.sha256(spec.encode()).hexdigest()[:12]


def finished_partitions(instance: DagsterInstance, identifier: str) -> set[str]:
    """Partitions with a successful run under this in-process backfill id."""
    runs = instance.get_runs(RunsFilter(tags={BACKFILL_TAG: identifier}, statuses=[DagsterRunStatus.SUCCESS]))
    return {run.tags.get("dagster/partition") for run in runs if run.tags.get("dagster/partition")}


def run_backfill_in_process(
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
