import polars as pl

from sentiment_platform.cli import main


def test_demo_materializes_the_last_hours_into_data(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    assert main(["demo", "--hours", "2"]) == 0
    out = capsys.readouterr().out
    assert "Materialized 2 hourly partitions" in out and "dagster dev" in out
    parts = sorted((tmp_path / "data" / "lake" / "cleansed" / "posts").rglob("*.parquet"))
    assert len(parts) == 2
    assert all(pl.read_parquet(path).height > 500 for path in parts)
    assert (tmp_path / "data" / "dagster_home").is_dir()
