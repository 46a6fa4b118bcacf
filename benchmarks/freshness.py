"""Freshness: from a post landing to it counting in ``/trends``, with ``dg dev`` running the
sensors and automation over a steady stream (the mock firehose), p50 and p95 against the goal.

Every ``--probe-every`` seconds a probe post lands beside the stream, under a topic of its own;
the API is polled until that topic's 15-minute window counts it. Nothing else is shortcut: the
landing sensor, the automation sensor, run launches and the models run as deployed.

    python benchmarks/freshness.py [--minutes 60] [--rate 20] [--probe-every 30]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / ".venv" / "bin"
GOAL_P95_S = 180.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except urllib.error.HTTPError:
            return  # it answers (the warehouse may not exist yet)
        except OSError:
            time.sleep(2)
    raise TimeoutError(f"{url} did not answer in {seconds:.0f} s")


def land_probe(lake: Path, number: int) -> tuple[str, datetime]:
    """One post of topic ``probe-<number>``, created and landed now."""
    now = datetime.now(UTC)
    topic = f"probe-{number:04d}"
    folder = lake / "landing" / "posts" / f"{now:%Y/%m/%d/%H}"
    folder.mkdir(parents=True, exist_ok=True)
    record = {
        "id": f"probe{number:06d}",
        "author_id": "probe",
        "created_at": now.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "text": "A probe post, measuring how fresh the trends are, and it is fine",
        "topic": topic,
        "lang": "en",
        "source": "probe",
    }
    tmp = folder / f".probe-{number:06d}.tmp"
    tmp.write_text(json.dumps(record) + "\n")
    tmp.rename(folder / f"probe-{number:06d}.jsonl")
    return topic, now


def counted(api: str, topic: str, created: datetime) -> bool:
    window = created.replace(minute=created.minute - created.minute % 15, second=0, microsecond=0)
    after = window + timedelta(minutes=15)
    query = f"topic={topic}&window=15m&start={window:%Y-%m-%dT%H:%M:%SZ}&end={after:%Y-%m-%dT%H:%M:%SZ}"
    try:
        with urllib.request.urlopen(f"{api}/trends?{query}", timeout=10) as answer:
            rows = json.loads(answer.read())["rows"]
    except (OSError, ValueError, KeyError):
        return False
    return any(row.get("posts", 0) >= 1 for row in rows)


def runs_summary(home: Path) -> str:
    """How many runs the instance launched, and their median duration."""
    code = (
        "from dagster import DagsterInstance, RunsFilter, DagsterRunStatus\n"
        "i = DagsterInstance.get()\n"
        "rs = i.get_run_records(RunsFilter(statuses=[DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE]))\n"
        "d = sorted(r.end_time - r.start_time for r in rs if r.end_time and r.start_time)\n"
        "print(len(rs), round(d[len(d)//2], 1) if d else 0, round(d[-1], 1) if d else 0)\n"
    )
    done = subprocess.run(
        [str(BIN / "python"), "-c", code],
        env={**os.environ, "DAGSTER_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    count, median, longest = (done.stdout.split() + ["?", "?", "?"])[:3]
    return f"{count} runs finished, median {median} s, longest {longest} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=60.0, help="how long the stream runs (default 60)")
    parser.add_argument("--rate", type=float, default=20.0, help="stream posts per minute (default 20)")
    parser.add_argument("--probe-every", type=float, default=30.0, help="seconds between probes (default 30)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="freshness-"))
    home, lake = work / "home", work / "lake"
    home.mkdir()
    from sentiment_platform.cli.demo import INSTANCE_SETTINGS

    (home / "dagster.yaml").write_text(INSTANCE_SETTINGS)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SENTIMENT_", "DAGSTER_"))},
        "DAGSTER_HOME": str(home),
        "SENTIMENT_SOURCE": "landing",
        "SENTIMENT_LAKE_ROOT": str(lake),
        "SENTIMENT_WAREHOUSE_PATH": str(work / "warehouse.duckdb"),
        "SENTIMENT_PARTITIONS_START": (datetime.now(UTC) - timedelta(days=2)).strftime("%Y-%m-%d"),
    }
    ui_port, api_port = free_port(), free_port()
    api = f"http://127.0.0.1:{api_port}"
    processes = []

    def start(command: list[str], log: str) -> None:
        with open(work / log, "w") as out:
            processes.append(
                subprocess.Popen(
                    command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
                )
            )

    latencies: list[float] = []
    missed = 0
    try:
        start([str(BIN / "dg"), "dev", "--port", str(ui_port)], "dg_dev.log")
        wait_for(f"http://127.0.0.1:{ui_port}/server_info", 300)
        start([str(BIN / "sentiment-platform"), "mockfeed", "--rate", str(args.rate), "--lake", str(lake)], "feed.log")
        start(
            [
                str(BIN / "sentiment-platform"),
                "api",
                "--port",
                str(api_port),
                "--workers",
                "1",
                "--warehouse",
                env["SENTIMENT_WAREHOUSE_PATH"],
            ],
            "api.log",
        )
        wait_for(f"{api}/health", 120)
        pending: dict[str, datetime] = {}
        started, number, next_probe = time.monotonic(), 0, 0.0
        end = started + args.minutes * 60
        while time.monotonic() < end or (pending and time.monotonic() < end + 600):
            now = time.monotonic()
            if now < end and now - started >= next_probe:
                topic, created = land_probe(lake, number)
                pending[topic] = created
                number, next_probe = number + 1, next_probe + args.probe_every
            for topic, created in list(pending.items()):
                if counted(api, topic, created):
                    latencies.append((datetime.now(UTC) - created).total_seconds())
                    del pending[topic]
            time.sleep(3)
        missed = len(pending)
    finally:
        for process in processes:
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for process in processes:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
    latencies.sort()
    p50 = statistics.median(latencies) if latencies else float("nan")
    p95 = latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))] if latencies else float("nan")
    print(f"stream {args.rate:g} posts/min for {args.minutes:g} min, {number} probes every {args.probe_every:g} s")
    print(
        f"landing -> /trends   p50 {p50:6.1f} s   p95 {p95:6.1f} s   (goal: p95 under {GOAL_P95_S:.0f} s: "
        f"{'met' if p95 < GOAL_P95_S else 'MISSED'})"
    )
    print(f"probes never counted within 10 min of the end: {missed}")
    print(f"instance: {runs_summary(home)}; logs in {work}")
    print(f"machine: {os.cpu_count()} cores, {sys.platform}")


if __name__ == "__main__":
    from results_page import results_page

    with results_page(__file__):
        main()
