import subprocess
import sys
from pathlib import Path

from dagster import Definitions, EnvVar

from sentiment_platform.definitions import defs
from sentiment_platform.partitions import hourly_partitions, last_complete_hours, partition_hour
from sentiment_platform.settings import build_resources

ROOT = Path(__file__).resolve().parents[1]


def test_definitions_load_with_every_asset_on_the_hourly_partitions():
    Definitions.validate_loadable(defs)
    graph = defs.resolve_asset_graph()
    names = {key.to_user_string() for key in graph.get_all_asset_keys()}
    assert {"raw_posts", "raw_images", "raw_users", "raw_interactions", "cleaned_posts", "cleaned_users",
            "cleaned_interactions"} <= names
    for key in graph.get_all_asset_keys():
        assert graph.get(key).partitions_def == hourly_partitions


def test_dagster_loads_the_code_location_like_dagster_dev():
    result = subprocess.run(
        [sys.executable, "-m", "dagster", "definitions", "validate", "-w", str(ROOT / "workspace.yaml")],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_settings_come_from_the_environment_only_when_set():
    local = build_resources({})
    assert local["storage"].root == "data/lake" and local["source"].kind == "mockfeed"
    configured = build_resources({"SENTIMENT_LAKE_ROOT": "s3://b/p", "SENTIMENT_SOURCE": "landing"})
    assert configured["storage"].root == EnvVar("SENTIMENT_LAKE_ROOT")
    direct = build_resources({"SENTIMENT_LAKE_ROOT": "s3://b/p", "SENTIMENT_MOCKFEED_SEED": "3"}, as_env_vars=False)
    assert direct["storage"].root == "s3://b/p" and direct["source"].seed == 3


def test_partition_helpers_round_trip():
    hours = last_complete_hours(3)
    assert len(hours) == 3 and hours[0] < hours[1] < hours[2]
    key = hours[-1].strftime("%Y-%m-%d-%H:%M")
    assert partition_hour(key) == hours[-1]
    assert key in hourly_partitions.get_partition_keys()
