"""Wall time of a backfill of the whole partitioned graph, run by the Dagster daemon.

Run: python benchmarks/backfill.py [--hours 168] [--posts-per-hour 1200] [--modes daemon,in-process]
     [--end 2026-11-21-23:00]

For each mode, in a fresh lake, warehouse and Dagster instance (in a temporary folder):
- daemon: `dagster-daemon run` over the project's code location, and `sentiment-platform backfill
  --start --end` for --hours hourly partitions ending at --end: every hourly asset (ingestion from
  the mock network, cleansing, text and image sentiment with the default offline models, the text
  in images, enrichment, the trend tables) and the daily ones of those days (daily summary,
  recommendations with Spark). Each asset's BackfillPolicy decides its runs.
- in-process: the baseline, the loop of earlier versions (`--in-process`), one run per hour of the
  hourly assets only, in one process.
Prints the wall time, runs launched and asset partitions materialized, and hours per minute.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _environment(folder: Path, posts_per_hour: int) -> dict[str, str]:
    return {
        **os.environ,
        "DAGSTER_HOME": str(folder / "home"),
        "SENTIMENT_LAKE_ROOT": str(folder / "lake"),
        "SENTIMENT_WAREHOUSE_PATH": str(folder / "warehouse.duckdb"),
        "SENTIMENT_MOCKFEED_POSTS_PER_HOUR": str(posts_per_hour),
        "COLUMNS": "200",
    }


def _runs(home: Path) -> int:
    from dagster import DagsterInstance

    with DagsterInstance.from_config(str(home)) as instance:
        return len(instance.get_run_records())


def run_mode(mode: str, start: str, end: str, posts_per_hour: int) -> dict:
    folder = Path(tempfile.mkdtemp(prefix=f"backfill-{mode}-"))
    env = _environment(folder, posts_per_hour)
    command = [str(BIN / "sentiment-platform"), "backfill", "--start", start, "--end", end]
    command += ["--dagster-home", env["DAGSTER_HOME"]]
    daemon = None
    if mode == "daemon":
        Path(env["DAGSTER_HOME"]).mkdir(parents=True)
        from sentiment_platform.cli.demo import INSTANCE_SETTINGS

        (Path(env["DAGSTER_HOME"]) / "dagster.yaml").write_text(INSTANCE_SETTINGS)
        daemon = subprocess.Popen(
            [str(BIN / "dagster-daemon"), "run", "-m", "sentiment_platform.definitions"],
            env=env,
            cwd=ROOT,
            stdout=open(folder / "daemon.log", "w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    else:
        command.append("--in-process")
    started = time.perf_counter()
    try:
        result = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)
    finally:
        if daemon:
            os.killpg(daemon.pid, signal.SIGTERM)
            daemon.wait(timeout=120)
    seconds = time.perf_counter() - started
    summary = result.stdout.strip().splitlines()[-2:] if result.stdout.strip() else [result.stderr[-500:]]
    found = re.search(r"(\d+) of (\d+) asset partitions materialized", result.stdout)
    return {
        "mode": mode,
        "seconds": seconds,
        "ok": result.returncode == 0,
        "runs": _runs(Path(env["DAGSTER_HOME"])),
        "asset_partitions": f"{found.group(1)}/{found.group(2)}" if found else "-",
        "summary": " | ".join(summary),
        "folder": str(folder),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hours", type=int, default=168)
    parser.add_argument("--posts-per-hour", type=int, default=1200)
    parser.add_argument("--end", default="2026-11-21-23:00", help="last hour (a partition key)")
    parser.add_argument("--modes", default="daemon,in-process")
    args = parser.parse_args()
    last = datetime.strptime(args.end, "%Y-%m-%d-%H:%M")
    start = (last - timedelta(hours=args.hours - 1)).strftime("%Y-%m-%d-%H:%M")
    print(f"backfill of {args.hours} hours ({start} to {args.end}), mock network at {args.posts_per_hour} posts/h")
    rows = [run_mode(mode, start, args.end, args.posts_per_hour) for mode in args.modes.split(",")]
    print(f"{'mode':<11} {'wall time':>10} {'hours/min':>9} {'runs':>5} {'asset partitions':>16}  ok")
    for row in rows:
        rate = args.hours / (row["seconds"] / 60)
        print(
            f"{row['mode']:<11} {row['seconds'] / 60:>8.1f} m {rate:>9.2f} {row['runs']:>5} "
            f"{row['asset_partitions']:>16}  {row['ok']}"
        )
        print(f"  {row['summary']}  ({row['folder']})")


if __name__ == "__main__":
    from results_page import results_page

    with results_page(__file__):
        main()
