"""The README's "Bring your own data" lines, run exactly as printed (a shell in a fresh folder
that holds the project as a checkout does: its `pyproject.toml`, package and `.venv`): a 2015
archive imported and backfilled by the daemon that `dg dev` runs."""

import csv
import os
import re
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).parents[2]


def _block(section: str) -> str:
    """The first bash block of a README section."""
    text = (ROOT / "README.md").read_text()
    body = text.split(f"## {section}\n", 1)[1].split("\n## ", 1)[0]
    return re.search(r"```bash\n(.*?)```", body, re.S).group(1)


def _stop_processes_in(folder: Path) -> None:
    import psutil

    for process in psutil.process_iter(["cwd"]):
        if process.info["cwd"] and Path(process.info["cwd"]) == folder:
            process.kill()


def test_the_bring_your_own_data_lines_work_as_printed(tmp_path):
    block = _block("Bring your own data")
    assert "import tweets.csv" in block and "--backfill" in block
    for name in (".venv", "pyproject.toml", "workspace.yaml", "sentiment_platform"):
        (tmp_path / name).symlink_to(ROOT / name)
    start = datetime(2015, 2, 16, 9, 0)  # Los Angeles: 17:00 UTC
    with open(tmp_path / "tweets.csv", "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["tweet_id", "airline", "text", "tweet_created"])
        for number in range(30):
            text = ["Great crew &amp; a smooth flight today", "Delayed again and nobody tells us why"][number % 2]
            when = start + timedelta(minutes=4 * number)
            writer.writerow(
                [570_000_000_000 + number, ["Delta", "United"][number % 2], text, f"{when:%Y-%m-%d %H:%M:%S}"]
            )
    env = {
        **{name: value for name, value in os.environ.items() if not name.startswith(("SENTIMENT_", "DAGSTER_"))},
        "SENTIMENT_TEXT_BACKEND": "vader",  # not in the README: only to keep the test quick
        "COLUMNS": "250",
    }
    # The lines as printed, in a shell of their own; then what it left running (the `dagster dev`
    # in the background, its webserver and daemon: every process working in this folder) is stopped.
    shell = subprocess.Popen(
        ["bash", "-c", block],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = shell.communicate(timeout=900)
    finally:
        _stop_processes_in(tmp_path)
    assert shell.returncode == 0, output
    assert "30 landed" in output and "completed_success" in output, output
    with duckdb.connect(str(tmp_path / "data" / "warehouse.duckdb"), read_only=True) as connection:
        posts = connection.sql("SELECT post_id, created_at, topic, text FROM posts ORDER BY created_at").fetchall()
    assert len(posts) == len({post_id for post_id, *_ in posts}) == 30
    assert posts[0][1] == datetime(2015, 2, 16, 17, 0, tzinfo=UTC) and posts[0][2] == "delta"
    assert posts[0][3] == "Great crew & a smooth flight today"
