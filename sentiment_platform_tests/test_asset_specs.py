"""A snapshot of the asset graph's shape, so a refactor that changes it shows up in review.

Regenerate after an intended change:
``SENTIMENT_UPDATE_SPEC_SNAPSHOT=1 pytest sentiment_platform_tests/test_asset_specs.py``.
"""

import json
import os
from pathlib import Path

import pytest

from sentiment_platform.definitions import build_definitions
from sentiment_platform.partitions import PARTITIONS_START

pytestmark = pytest.mark.materialize

defs = build_definitions()

SNAPSHOT = Path(__file__).with_name("asset_specs.json")


def _partitions(definition) -> str | None:
    if definition is None:
        return None
    # The start is a setting (SENTIMENT_PARTITIONS_START), not part of the graph's shape.
    start = "PARTITIONS_START" if definition.start == PARTITIONS_START else f"{definition.start:%Y-%m-%d %H:%M}"
    return f"{type(definition).__name__}({start}, {definition.fmt}, end_offset={definition.end_offset})"


def graph_spec() -> dict:
    graph = defs.resolve_asset_graph()
    assets = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        condition = node.automation_condition
        assets[key.to_user_string()] = {
            "group": node.group_name,
            "deps": sorted(parent.to_user_string() for parent in node.parent_keys),
            "partitions": _partitions(node.partitions_def),
            "automation": (condition.get_label() or type(condition).__name__) if condition else None,
            "backfill_policy": str(node.backfill_policy) if node.backfill_policy else None,
            "kinds": sorted(node.kinds),
            "checks": sorted(
                f"{spec.name}{' (blocking)' if spec.blocking else ''}"
                for spec in map(graph.get_check_spec, node.check_keys)
            ),
        }
    repository = defs.get_repository_def()
    return {
        "assets": assets,
        "sensors": sorted(sensor.name for sensor in repository.sensor_defs),
        "schedules": sorted(f"{s.name} {s.cron_schedule}" for s in repository.schedule_defs),
        "jobs": sorted(job.name for job in repository.get_all_jobs() if not job.name.startswith("__")),
        "resources": sorted(defs.resources),
    }


def test_the_asset_graph_matches_its_snapshot():
    spec = graph_spec()
    if os.environ.get("SENTIMENT_UPDATE_SPEC_SNAPSHOT"):
        SNAPSHOT.write_text(json.dumps(spec, indent=2, sort_keys=True) + "\n")
    assert spec == json.loads(SNAPSHOT.read_text())
