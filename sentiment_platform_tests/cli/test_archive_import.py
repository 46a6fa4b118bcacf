"""`sentiment-platform import` then `backfill`, as the README says, with partitions that start
before 2020: every distinct post once in the warehouse, at its true UTC time."""

import csv
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

pytestmark = pytest.mark.integration

CLI = str(Path(sys.executable).with_name("sentiment-platform"))


def _archive(path: Path) -> list[dict]:
    """A 2015 archive as brand-monitoring exports write it: local US times without an offset."""
    texts = [
        "Thanks &amp; kudos to the crew, what a smooth flight",
        "Two hours on the tarmac and nobody tells us anything",
        "Is the lounge in terminal B open this late?",
        "My bag is lost again, third time this month",
    ]
    rows = []
    start = datetime(2015, 2, 16, 7, 0)  # Los Angeles: 15:00 UTC
    for number in range(60):
        rows.append(
            {
                "tweet_id": str(570_000_000_000_000_000 + number),
                "airline": ["Delta", "United", "Virgin America"][number % 3],
                "text": f"{texts[number % 4]} #{number}",
                "tweet_created": (start + timedelta(minutes=3 * number)).strftime("%m/%d/%Y %H:%M"),
            }
        )
    rows.append(dict(rows[0]))  # the same tweet twice in the export
    with open(path, "w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return rows


def test_an_archive_from_2015_is_imported_and_backfilled_into_the_warehouse(tmp_path):
    archive = tmp_path / "airline_tweets.csv"
    rows = _archive(archive)
    env = {
        **os.environ,
        "SENTIMENT_PARTITIONS_START": "2015-02-01",
        "SENTIMENT_SOURCE": "landing",
        "SENTIMENT_LAKE_ROOT": str(tmp_path / "lake"),
        "SENTIMENT_WAREHOUSE_PATH": str(tmp_path / "warehouse.duckdb"),
        "SENTIMENT_TEXT_BACKEND": "vader",
        "DAGSTER_HOME": str(tmp_path / "home"),
        "COLUMNS": "250",
    }
    (tmp_path / "home").mkdir()
    command = [
        CLI,
        "import",
        str(archive),
        "--format",
        "csv",
        "--map",
        "id=tweet_id,topic=airline,text=text,created_at=tweet_created",
        "--time-format",
        "%m/%d/%Y %H:%M",
        "--timezone",
        "America/Los_Angeles",
    ]
    imported = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert imported.returncode == 0, imported.stderr
    assert "61 landed" in imported.stdout and "2015-02-16: 61" in imported.stdout
    assert "SENTIMENT_SOURCE=landing SENTIMENT_PARTITIONS_START=2015-02-01" in imported.stdout
    assert "backfill --start 2015-02-16-00:00 --end 2015-02-16-23:00" in imported.stdout
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert "0 objects written" in again.stdout

    backfill = [CLI, "backfill", "--in-process", "--start", "2015-02-16-15:00", "--end", "2015-02-16-17:00"]
    done = subprocess.run(backfill, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as connection:
        posts = connection.sql("SELECT post_id, created_at, topic, text FROM posts ORDER BY post_id").fetchall()
        trends = connection.sql("SELECT topic, sum(posts) FROM sentiment_trends_15m GROUP BY topic").fetchall()
    assert [post_id for post_id, *_ in posts] == sorted({row["tweet_id"] for row in rows})
    first = posts[0]
    assert first[1] == datetime(2015, 2, 16, 15, 0, tzinfo=UTC) and first[2] == "delta"
    assert first[3].startswith("Thanks & kudos")  # the entity decoded
    assert dict(trends) == {"delta": 20, "united": 20, "virgin america": 20}

    before = subprocess.run(
        [CLI, "backfill", "--in-process", "--start", "2015-01-31-23:00", "--end", "2015-02-01-01:00"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert before.returncode == 2 and "set SENTIMENT_PARTITIONS_START" in before.stderr


def test_the_graph_keeps_its_shape_from_any_start():
    """The definitions load with a start before 2020; the partitions, look-backs and the spec
    snapshot follow it."""
    script = (
        "from sentiment_platform_tests.test_asset_specs import graph_spec, SNAPSHOT\n"
        "import json\n"
        "from sentiment_platform.partitions import hourly_partitions, daily_partitions\n"
        "assert hourly_partitions.get_first_partition_key() == '2015-02-01-00:00'\n"
        "assert daily_partitions.get_first_partition_key() == '2015-02-01'\n"
        "assert graph_spec() == json.loads(SNAPSHOT.read_text())\n"
        "print('ok')\n"
    )
    env = {**os.environ, "SENTIMENT_PARTITIONS_START": "2015-02-01"}
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr
    broken = subprocess.run(
        [sys.executable, "-c", "import sentiment_platform.partitions"],
        env={**os.environ, "SENTIMENT_PARTITIONS_START": "last tuesday"},
        capture_output=True,
        text=True,
    )
    assert broken.returncode == 1 and "SENTIMENT_PARTITIONS_START='last tuesday': expected an ISO date" in broken.stderr
