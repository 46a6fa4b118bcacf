"""REST API load test and trend-table rebuild time.

Run: python benchmarks/api.py [--seconds 20] [--clients 32] [--workers 2] [--posts-per-hour 5000]
     [--only api|rebuild]

1. A warehouse holding 30 days of 15-minute windows for 20 topics (57,600 rows of
   sentiment_trends_15m) is served by `sentiment-platform api` (uvicorn, --workers processes) on
   127.0.0.1, and /trends is asked for a random topic, day and window (15m, 1h or 1d), 32 requests
   at a time, for --seconds, three ways, each twice on the same server (cold: just started; warm:
   once it has seen the requests):
   - `wrk` (compiled, one thread; installed with apt-get if missing) cycling through 2,000 such
     requests (1,740 distinct ones), with the response cache on (the default);
   - `wrk` with the response cache off (every request runs its query): the query path alone;
   - the Python client of the earlier figure (asyncio + httpx in this process, sharing the cores).
   Prints requests/s, p50/p95/p99 latency and errors (the target: p95 < 50 ms at >= 1,000/s).
2. One day of enriched posts (24 hourly partitions made from a real mock-network hour scored with
   VADER, replicated to --posts-per-hour with fresh ids) is rebuilt into the trend tables: once as
   24 partition runs, once as a single run over the day (the assets' single-run backfill policy).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl

TOPICS = [f"topic_{i:02d}" for i in range(20)]
START = datetime(2026, 10, 1, tzinfo=UTC)


def build_trend_warehouse(path: str) -> int:
    """Synthetic 15-minute trend rows: 30 days x 96 windows x 20 topics."""
    import duckdb

    rng = np.random.default_rng(0)
    windows = [START.replace(tzinfo=None) + timedelta(minutes=15 * i) for i in range(30 * 96)]
    n = len(windows) * len(TOPICS)
    positive, neutral, negative = (rng.integers(0, 40, n) for _ in range(3))
    labeled = np.maximum(positive + neutral + negative, 1)
    frame = pl.DataFrame(
        {
            "window_start": pl.Series([w for w in windows for _ in TOPICS], dtype=pl.Datetime("us")),
            "topic": TOPICS * len(windows),
            "posts": positive + neutral + negative,
            "positive": positive,
            "neutral": neutral,
            "negative": negative,
            "positive_share": positive / labeled,
            "neutral_share": neutral / labeled,
            "negative_share": negative / labeled,
            "mean_score": rng.uniform(-1, 1, n),
            "mean_confidence": rng.uniform(0.4, 1, n),
            "image_posts": rng.integers(0, 10, n),
            "mean_image_score": rng.uniform(-1, 1, n),
            "unsupported": rng.integers(0, 3, n),
        }
    ).with_columns(
        pl.col("window_start").dt.replace_time_zone("UTC"),
        (pl.col("window_start").dt.replace_time_zone("UTC") + pl.duration(minutes=15)).alias("window_end"),
    )
    connection = duckdb.connect(path)
    connection.register("frame", frame)
    connection.execute("CREATE TABLE sentiment_trends_15m AS SELECT * FROM frame")
    connection.close()
    return frame.height


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def load(base: str, seconds: float, clients: int) -> tuple[list[float], int]:
    import httpx

    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def client(seed: int) -> None:
        nonlocal errors
        rng = random.Random(seed)
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            while time.perf_counter() < deadline:
                day = START + timedelta(days=rng.randrange(29))
                window = rng.choice(["15m", "1h", "1d"])
                params = {
                    "topic": rng.choice(TOPICS),
                    "start": day.isoformat(),
                    "end": (day + timedelta(days=1)).isoformat(),
                    "window": window,
                }
                started = time.perf_counter()
                response = await http.get("/trends", params=params)
                latencies.append(time.perf_counter() - started)
                if response.status_code != 200 or not response.json()["rows"]:
                    errors += 1

    await asyncio.gather(*(client(i) for i in range(clients)))
    return latencies, errors


def trend_paths(count: int, seed: int = 1) -> list[str]:
    """``count`` /trends requests for a random topic, day and window."""
    rng = random.Random(seed)
    paths = []
    for _ in range(count):
        day = START + timedelta(days=rng.randrange(29))
        window = rng.choice(["15m", "1h", "1d"])
        end = day + timedelta(days=1)
        start_text, end_text = (moment.strftime("%Y-%m-%dT%H:%M:%SZ") for moment in (day, end))
        paths.append(f"/trends?topic={rng.choice(TOPICS)}&start={start_text}&end={end_text}&window={window}")
    return paths


WRK_SCRIPT = r"""
local paths = {%s}
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter %% #paths) + 1])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %%d %%d %%d %%d %%d %%d %%d\n", summary.requests, summary.duration,
    e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


def _wrk() -> str:
    """The path of `wrk`, installed from Debian's packages if missing."""
    found = shutil.which("wrk")
    if found is None:
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True, stdout=subprocess.DEVNULL)
        found = shutil.which("wrk")
    if found is None:
        raise SystemExit("wrk is not installed and apt-get could not install it")
    return found


def wrk_load(base: str, paths: list[str], seconds: float, connections: int, folder: str) -> dict:
    """Requests/s, latency percentiles (ms) and errors of `wrk` cycling through ``paths``."""
    script = Path(folder) / "paths.lua"
    script.write_text(WRK_SCRIPT % ",".join(f'"{path}"' for path in paths), encoding="utf-8")
    output = subprocess.run(
        [_wrk(), "-t1", f"-c{connections}", f"-d{seconds:.0f}s", "-s", str(script), base],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    [line] = [line for line in output.splitlines() if line.startswith("RESULT ")]
    requests, duration_us, errors, status_errors, p50, p95, p99 = (int(v) for v in line.split()[1:])
    return {
        "requests_per_s": requests / (duration_us / 1e6),
        "p50": p50 / 1000,
        "p95": p95 / 1000,
        "p99": p99 / 1000,
        "errors": errors + status_errors,
        "requests": requests,
    }


def python_load(base: str, seconds: float, clients: int) -> dict:
    started = time.perf_counter()
    latencies, errors = asyncio.run(load(base, seconds, clients))
    elapsed = time.perf_counter() - started
    p50, p95, p99 = (np.percentile(latencies, q) * 1000 for q in (50, 95, 99))
    return {
        "requests_per_s": len(latencies) / elapsed,
        "p50": p50,
        "p95": p95,
        "p99": p99,
        "errors": errors,
        "requests": len(latencies),
    }


def serve(database: str, workers: int, cache_entries: int | None) -> tuple[subprocess.Popen, str]:
    """`sentiment-platform api` over ``database`` on a free port, once it answers /health."""
    import httpx

    port = _free_port()
    env = dict(os.environ)
    if cache_entries is not None:
        env["SENTIMENT_API_CACHE_ENTRIES"] = str(cache_entries)
    command = [sys.executable, "-m", "sentiment_platform.cli.main", "api", "--port", str(port)]
    server = subprocess.Popen(
        [*command, "--warehouse", database, "--workers", str(workers)], stdout=subprocess.DEVNULL, env=env
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{base}/health").status_code == 200:
                return server, base
        except httpx.TransportError:
            time.sleep(0.1)
    server.terminate()
    raise RuntimeError("the API did not start")


def api_benchmark(seconds: float, clients: int, workers: int) -> None:
    paths = trend_paths(2000)
    results = []
    with tempfile.TemporaryDirectory() as folder:
        database = str(Path(folder) / "warehouse.duckdb")
        rows = build_trend_warehouse(database)
        for name, cache_entries, client in (
            ("wrk, response cache on", None, "wrk"),
            ("wrk, response cache off", 0, "wrk"),
            ("Python client (httpx), cache on", None, "python"),
        ):
            server, base = serve(database, workers, cache_entries)
            try:
                # Twice on the same server: just after it started (every answer computed for the
                # first time), then once it has seen the requests (a snapshot that has served a while).
                for phase in ("cold", "warm"):
                    if client == "wrk":
                        result = wrk_load(base, paths, seconds, clients, folder)
                    else:
                        result = python_load(base, seconds, clients)
                    results.append((f"{name}, {phase}", result))
            finally:
                server.terminate()
                server.wait()
    print(
        f"/trends over {rows:,} rows (30 days x 96 windows x 20 topics), {clients} connections, "
        f"{workers} server worker(s), {seconds:.0f}s each; {len(set(paths))} distinct requests:"
    )
    print(f"  {'client':<40} {'req/s':>8} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'errors':>7} {'requests':>9}")
    for name, r in results:
        print(
            f"  {name:<40} {r['requests_per_s']:8,.0f} {r['p50']:7.1f} {r['p95']:7.1f} {r['p99']:7.1f} "
            f"{r['errors']:7,} {r['requests']:9,}"
        )
    print("  target: p95 < 50 ms and >= 1,000 requests/s with wrk; before this work: p95 327 ms at 32 clients")


def rebuild_benchmark(posts_per_hour: int) -> None:
    from dagster import materialize

    from sentiment_platform.defs.cleansing.cleansed_data import (
        cleaned_posts,
        cleaned_users,
    )
    from sentiment_platform.defs.ingestion.raw_data import landed_batches, raw_images
    from sentiment_platform.defs.sentiment.scored_posts import (
        enriched_posts,
        image_sentiment,
        post_sentiment,
    )
    from sentiment_platform.defs.trends.trend_tables import (
        hashtag_trends,
        sentiment_trends_15m,
        topic_daily_summary,
        user_sentiment_profile,
        warehouse_posts,
    )
    from sentiment_platform.lib.lake_layout import dataset_key
    from sentiment_platform.lib.lake_store import LocalLakeStore
    from sentiment_platform.partitions import hour_partition_key
    from sentiment_platform.resources.notifiers import LogNotifier
    from sentiment_platform.resources.post_sources import MockNetworkSource
    from sentiment_platform.resources.scorers import ImageScorer, TextScorer
    from sentiment_platform.resources.warehouse import Warehouse

    quiet = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
    day = datetime(2026, 11, 20, tzinfo=UTC)
    with tempfile.TemporaryDirectory() as folder:
        storage = LocalLakeStore(f"{folder}/lake")
        resources = {
            "storage": storage,
            "source": MockNetworkSource(),
            "text_scorer": TextScorer(backend="vader"),
            "image_scorer": ImageScorer(),
            "notifier": LogNotifier(log_path=f"{folder}/alerts.log"),
        }
        assert materialize(
            [landed_batches, raw_images, cleaned_posts, cleaned_users, post_sentiment, image_sentiment, enriched_posts],
            partition_key=hour_partition_key(day + timedelta(hours=12)),
            resources=resources,
            run_config=quiet,
        ).success
        sample = storage.read_parquet(dataset_key("enriched_posts", day + timedelta(hours=12)))
        for hour in range(24):
            copies = []
            for copy in range(-(-posts_per_hour // sample.height)):
                copies.append(
                    sample.with_columns(
                        (pl.col("post_id") + f"-{hour}-{copy}"), pl.col("created_at") + pl.duration(hours=hour - 12)
                    )
                )
            storage.write_parquet(
                dataset_key("enriched_posts", day + timedelta(hours=hour)), pl.concat(copies).head(posts_per_hour)
            )
        hourly = [sentiment_trends_15m, hashtag_trends, user_sentiment_profile, warehouse_posts]
        for mode in ("24 runs", "1 run"):
            resources["warehouse"] = Warehouse(database=f"{folder}/{mode.replace(' ', '_')}.duckdb")
            started = time.perf_counter()
            if mode == "24 runs":
                for hour in range(24):
                    assert materialize(
                        hourly,
                        partition_key=hour_partition_key(day + timedelta(hours=hour)),
                        resources=resources,
                        run_config=quiet,
                    ).success
            else:
                tags = {
                    "dagster/asset_partition_range_start": hour_partition_key(day),
                    "dagster/asset_partition_range_end": hour_partition_key(day + timedelta(hours=23)),
                }
                assert materialize(hourly, tags=tags, resources=resources, run_config=quiet).success
            assert materialize(
                [topic_daily_summary], partition_key=day.strftime("%Y-%m-%d"), resources=resources, run_config=quiet
            ).success
            seconds = time.perf_counter() - started
            rows = resources["warehouse"].query("SELECT count(*) AS n FROM posts")["n"][0]
            print(f"  rebuild of one day ({rows:,} posts) into the 5 trend tables, {mode}: {seconds:.1f}s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--posts-per-hour", type=int, default=5000)
    parser.add_argument("--only", choices=("api", "rebuild"))
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores")
    if args.only != "rebuild":
        api_benchmark(args.seconds, args.clients, args.workers)
    if args.only != "api":
        rebuild_benchmark(args.posts_per_hour)


if __name__ == "__main__":
    from results_page import results_page

    with results_page(__file__):
        main()
