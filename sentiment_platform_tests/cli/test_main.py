from datetime import UTC, datetime

import polars as pl
import pytest

from sentiment_platform.cli.main import main

pytestmark = [pytest.mark.clock, pytest.mark.materialize]


def test_demo_materializes_the_last_hours_into_data(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    # The hours are the clock's: given here, the test runs the same on any date.
    assert main(["demo", "--hours", "2", "--until", "2026-11-20T14:10:00Z"]) == 0
    out = capsys.readouterr().out
    assert "Materialized 2 hourly partitions" in out and "dagster dev" in out
    parts = sorted((tmp_path / "data" / "lake" / "cleansed" / "posts").rglob("*.parquet"))
    assert [path.parent.name for path in parts] == ["hour=12", "hour=13"]
    assert all(pl.read_parquet(path).height > 500 for path in parts)
    assert (tmp_path / "data" / "dagster_home").is_dir()
    enriched = sorted((tmp_path / "data" / "lake" / "analytics" / "enriched_posts").rglob("*.parquet"))
    assert len(enriched) == 2
    import duckdb

    with duckdb.connect(str(tmp_path / "data" / "warehouse.duckdb"), read_only=True) as connection:
        windows = connection.execute(
            "SELECT count(DISTINCT window_start), sum(posts) FROM sentiment_trends_15m"
        ).fetchone()
        assert windows[0] == 8 and windows[1] == sum(pl.read_parquet(path).height for path in enriched)
        assert connection.execute("SELECT count(*) FROM topic_daily_summary").fetchone()[0] >= 6
    report = tmp_path / "data" / "reports" / "sentiment_report"
    assert (report / "index.html").exists() and (report / "sentiment_share.png").stat().st_size > 5_000
    # Opening the UI on the demo's instance finds nothing to do: the landing sensor's first tick
    # (no cursor yet) sees that every landed hour was ingested from exactly those objects, and
    # automation sees every asset up to date.
    from dagster import (
        DagsterInstance,
        build_sensor_context,
        evaluate_automation_conditions,
    )

    from sentiment_platform.definitions import build_definitions
    from sentiment_platform.defs.ingestion.landing_sensor import landing_sensor
    from sentiment_platform.resources.clock import FixedClock
    from sentiment_platform.resources.lake_storage import LocalLakeStorage
    from sentiment_platform.resources.scan_limits import LandingScan
    from sentiment_platform.settings import build_resources

    instance = DagsterInstance.from_config(str(tmp_path / "data" / "dagster_home"))
    defs = build_definitions(build_resources({}, as_env_vars=False))
    context = build_sensor_context(
        instance=instance,
        repository_def=defs.get_repository_def(),
        resources={
            "storage": LocalLakeStorage(root=str(tmp_path / "data" / "lake")),
            "landing_scan": LandingScan(),
            "clock": FixedClock(at="2026-11-20T14:11:00+00:00"),
        },
    )
    tick = landing_sensor(context)
    assert not tick.run_requests
    assert '"2026-11-20T13:00:00+00:00"' in tick.cursor  # the hours are in the cursor from now on
    evaluation = evaluate_automation_conditions(
        defs=defs, instance=instance, evaluation_time=datetime(2026, 11, 20, 14, 11, tzinfo=UTC)
    )
    assert [r.key.to_user_string() for r in evaluation.results if r.true_subset.size] == []
