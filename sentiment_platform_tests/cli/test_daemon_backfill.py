"""`sentiment-platform backfill` against a real `dagster-daemon`: submitted, listed, resumed."""

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from dagster import AssetKey, DagsterInstance, DagsterRunStatus, RunsFilter
from dagster._core.execution.backfill import BulkActionStatus
from dagster._core.storage.tags import PARENT_BACKFILL_ID_TAG

pytestmark = pytest.mark.integration


def test_a_cli_backfill_is_run_by_the_daemon_and_listed_with_its_status(tmp_path):
    """`sentiment-platform backfill` submits to the instance; a real `dagster-daemon` runs it; a
    canceled one is resumed by `--resume` as a new backfill that points back to it."""
    home = tmp_path / "home"
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "SENTIMENT_LAKE_ROOT": str(tmp_path / "lake"),
        "SENTIMENT_WAREHOUSE_PATH": str(tmp_path / "warehouse.duckdb"),
        "SENTIMENT_TEXT_BACKEND": "vader",
        "COLUMNS": "200",  # the console's lines unwrapped
    }
    cli = [str(Path(sys.executable).with_name("sentiment-platform")), "backfill", "--dagster-home", str(home)]
    hours = ["--start", "2026-11-20-10:00", "--end", "2026-11-20-11:00"]
    assets = ["--assets", "raw_posts,raw_users,raw_interactions,cleaned_users"]
    submitted = subprocess.run([*cli, *hours, *assets, "--detach"], env=env, capture_output=True, text=True)
    assert submitted.returncode == 0, submitted.stderr
    first = re.search(r"backfill (\S+) submitted", submitted.stdout).group(1)
    assert "No daemon is running" in submitted.stdout
    with DagsterInstance.from_config(str(home)) as instance:
        assert [b.backfill_id for b in instance.get_backfills()] == [first]
        instance.update_backfill(instance.get_backfill(first).with_status(BulkActionStatus.CANCELED))

    daemon = subprocess.Popen(
        [str(Path(sys.executable).with_name("dagster-daemon")), "run", "-m", "sentiment_platform.definitions"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        resumed = subprocess.run([*cli, "--resume", first], env=env, capture_output=True, text=True, timeout=400)
    finally:
        os.killpg(daemon.pid, signal.SIGTERM)
        daemon.wait(timeout=60)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    second = re.search(r"backfill (\S+) submitted", resumed.stdout).group(1)
    assert "completed_success, 8 of 8 asset partitions materialized, 0 failed" in resumed.stdout
    with DagsterInstance.from_config(str(home)) as instance:
        listed = {b.backfill_id: b for b in instance.get_backfills()}
        assert listed[first].status == BulkActionStatus.CANCELED
        assert listed[second].status == BulkActionStatus.COMPLETED_SUCCESS
        assert listed[second].tags[PARENT_BACKFILL_ID_TAG] == first
        runs = instance.get_runs(RunsFilter(tags={"dagster/backfill": second}))
        assert runs and all(run.status == DagsterRunStatus.SUCCESS for run in runs)
        # cleaned_users runs once over both hours (its single-run BackfillPolicy).
        ranges = [
            (run.tags["dagster/asset_partition_range_start"], run.tags["dagster/asset_partition_range_end"])
            for run in runs
            if AssetKey("cleaned_users") in run.asset_selection
        ]
        assert ranges == [("2026-11-20-10:00", "2026-11-20-11:00")]
        assert instance.get_materialized_partitions(AssetKey("cleaned_users")) == {
            "2026-11-20-10:00",
            "2026-11-20-11:00",
        }
