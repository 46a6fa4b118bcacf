import polars as pl
import pytest

from sentiment_platform.cli import main

pytestmark = pytest.mark.clock


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
        windows = connection.execute("SELECT count(DISTINCT window_start), sum(posts) FROM sentiment_trends_15m").fetchone()
        assert windows[0] == 8 and windows[1] == sum(pl.read_parquet(path).height for path in enriched)
        assert connection.execute("SELECT count(*) FROM topic_daily_summary").fetchone()[0] >= 6
    report = tmp_path / "data" / "reports" / "sentiment_report"
    assert (report / "index.html").exists() and (report / "sentiment_share.png").stat().st_size > 5_000
