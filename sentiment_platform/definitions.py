"""The code location: everything under ``defs/`` (assets, checks, jobs, schedules, sensors), with
the resources of this deployment. Loaded lazily: importing this module reads no setting."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dagster as dg


def build_definitions(resources: dict[str, Any] | None = None) -> dg.Definitions:
    """The project's definitions with ``resources`` (by default, those the environment configures)."""
    from sentiment_platform.settings import build_resources

    return dg.Definitions.merge(
        dg.load_from_defs_folder(path_within_project=Path(__file__).parent),
        # Steps of a run execute in the run's process: an hour's steps depend on each other anyway,
        # and a process per step would import the project and load its models once per step. Runs
        # in parallel (partitions of a backfill, sensors' requests) are what the run queue bounds.
        dg.Definitions(
            resources=build_resources() if resources is None else resources, executor=dg.in_process_executor
        ),
    )


@dg.definitions
def defs() -> dg.Definitions:
    """What ``dg dev``, ``dagster dev`` and ``dg check defs`` load."""
    return build_definitions()
