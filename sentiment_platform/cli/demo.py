"""The main job: land the last hours of mock data and materialize the whole asset graph for them."""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from dagster import DagsterInstance, Definitions, materialize

from sentiment_platform.cli.progress import QUIET_RUN_CONFIG
from sentiment_platform.partitions import (
    daily_partitions,
    hour_partition_key,
    hourly_partitions,
    last_complete_hours,
)


@dataclass
class DemoReport:
    """What the demo materialized, per partition, with each asset's metadata."""

    partitions: list[str] = field(default_factory=list)
    materializations: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)


#: One run at a time in the DuckDB warehouse pool: parallel backfill runs queue in Dagster for the
#: warehouse writes (the file locks would serialise them anyway); two runs at once (one per core of
#: the small machine this ships for; raise it with the cores, each run loads its own models); a run
#: that still fails after its steps' own retries is retried twice by the daemon, from its failed
#: steps; no telemetry.
INSTANCE_SETTINGS = """\
concurrency:
  pools:
    default_limit: 1
  runs:
    max_concurrent_runs: 2
run_retries:
  enabled: true
  max_retries: 2
telemetry:
  enabled: false
"""


def instance_for(dagster_home: Path) -> DagsterInstance:
    """A persistent Dagster instance in ``dagster_home``, so ``dagster dev`` shows the demo's runs."""
    dagster_home.mkdir(parents=True, exist_ok=True)
    settings_file = dagster_home / "dagster.yaml"
    if not settings_file.exists():
        settings_file.write_text(INSTANCE_SETTINGS)
    # The folder given wins over an inherited DAGSTER_HOME (the option's default is that variable).
    os.environ["DAGSTER_HOME"] = str(dagster_home.resolve())
    return DagsterInstance.get()


def run_demo(
    defs: Definitions,
    hours: int,
    instance: DagsterInstance,
    now: datetime,
    on_partition: Callable[[str, int, int], None] | None = None,
) -> DemoReport:
    """Materialize every hourly asset of ``defs`` for the last ``hours`` complete hours, oldest first.

    ``on_partition(key, done, total)`` is called before each partition, for a progress display.
    """
    if hours < 1:
        raise ValueError("hours must be at least 1")
    # The graph's assets come with the deployment's resources bound to them.
    # Hourly assets per hour, daily rollups per day touched, then the report; training and
    # evaluating models (group "models") is not part of the job.
    graph = defs.resolve_asset_graph()
    assets = list(
        {id(node.assets_def): node.assets_def for node in graph.asset_nodes if node.group_name != "models"}.values()
    )
    hourly = [a for a in assets if a.partitions_def == hourly_partitions]
    daily = [a for a in assets if a.partitions_def == daily_partitions]
    unpartitioned = [a for a in assets if a.partitions_def is None]
    report = DemoReport()
    hours = last_complete_hours(hours, now)
    days = sorted({hour.strftime("%Y-%m-%d") for hour in hours})
    steps = [(hourly, hour_partition_key(hour)) for hour in hours]
    steps += [(daily, day) for day in days if daily] + ([(unpartitioned, None)] if unpartitioned else [])
    for done, (selection, key) in enumerate(steps):
        label = key or "latest"
        if on_partition:
            on_partition(label, done, len(steps))
        # The whole graph is passed (so dependencies resolve); only the selection runs.
        with warnings.catch_warnings():
            # One partition per run anyway: the assets' differing backfill policies do not apply.
            warnings.filterwarnings("ignore", message=".*materializes assets with varying BackfillPolicies")
            result = materialize(
                assets, selection=selection, partition_key=key, instance=instance, run_config=QUIET_RUN_CONFIG
            )
        if not result.success:
            raise RuntimeError(f"materialization of {label} failed")
        report.partitions.append(label)
        report.materializations[label] = {}
        for event in result.get_asset_materialization_events():
            materialization = event.step_materialization_data.materialization
            report.materializations[label][materialization.asset_key.to_user_string()] = {
                name: value.value for name, value in materialization.metadata.items()
            }
    return report
