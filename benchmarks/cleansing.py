"""Cleansing throughput and peak memory on a 1,000,000-post hour: Polars path vs a pandas baseline.

Run: python benchmarks/cleansing.py [--posts 1000000] [--repeat 3]

The hour is made of mock-feed posts (with its duplicates, retweets and malformed records), repeated
with fresh ids up to the requested size. Each run of an engine is a fresh process, so that its
peak memory is its own; the time covers parsing, validation, cleansing and deduplication of bytes
already in memory (the same for both). The engines take turns, ``--repeat`` runs each, and the
median run is reported with the range: timings on a shared 2-core machine move by 10-20%.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import resource
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def build_hour(posts: int) -> bytes:
    from sentiment_platform.sources.mock_network import MockFeedConfig, generate_hour

    config = replace(MockFeedConfig(), posts_per_hour=20_000, image_share=0.0)
    base = [record.line for record in generate_hour(datetime(2026, 11, 20, 13, tzinfo=UTC), config).posts]
    lines: list[bytes] = []
    copy = 0
    while len(lines) < posts:
        prefix = f'"id":"r{copy:03d}'.encode()
        lines.extend(line.replace(b'"id":"', prefix, 1) for line in base[: posts - len(lines)])
        copy += 1
    return b"\n".join(lines) + b"\n"


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _run(engine: str, path: str, queue) -> None:
    data = Path(path).read_bytes()
    if engine == "polars":
        from sentiment_platform.lib.cleansing.cleaning import clean_posts

        clean = lambda: clean_posts([("hour.jsonl", data)]).metadata()  # noqa: E731
    else:
        from pandas_cleansing import clean_posts_pandas

        clean = lambda: clean_posts_pandas(data)  # noqa: E731
    before = _peak_rss_mib()
    started = time.perf_counter()
    counts = clean()
    seconds = time.perf_counter() - started
    queue.put(
        {
            "engine": engine,
            "seconds": seconds,
            "peak_mib": _peak_rss_mib(),
            "before_mib": before,
            "cleaned": counts["cleaned"],
            "duplicates": counts["duplicates"],
            "quarantined": counts["quarantined"],
            "records_in": counts["records_in"],
        }
    )


def measure(engine: str, path: str) -> dict:
    context = mp.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_run, args=(engine, path, queue))
    process.start()
    result = queue.get()
    process.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each engine (default 3)")
    args = parser.parse_args()
    started = time.perf_counter()
    data = build_hour(args.posts)
    print(
        f"built an hour of {args.posts:,} posts ({len(data) / 2**20:.0f} MiB) in {time.perf_counter() - started:.1f}s "
        f"on {os.cpu_count()} cores"
    )
    with tempfile.NamedTemporaryFile(suffix=".jsonl") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())  # no write-back of the file while an engine is timed
        del data
        runs: dict[str, list[dict]] = {"polars": [], "pandas": []}
        for _ in range(args.repeat):
            for engine, engine_runs in runs.items():
                engine_runs.append(measure(engine, handle.name))
    print(
        f"\n{'engine':<8} {'seconds':>8} {'posts/s':>10} {'posts/s range':>19} {'peak MiB':>9} {'+MiB':>7} "
        f"{'cleaned':>9} {'dups':>7} {'quarantined':>11}"
    )
    medians = {}
    for engine, engine_runs in runs.items():
        engine_runs.sort(key=lambda run: run["seconds"])
        r = medians[engine] = engine_runs[len(engine_runs) // 2]
        slowest, fastest = (run["records_in"] / run["seconds"] for run in (engine_runs[-1], engine_runs[0]))
        print(
            f"{engine:<8} {r['seconds']:8.2f} {r['records_in'] / r['seconds']:10,.0f} {slowest:9,.0f}-{fastest:<9,.0f} "
            f"{max(run['peak_mib'] for run in engine_runs):9.0f} {r['peak_mib'] - r['before_mib']:7.0f} "
            f"{r['cleaned']:9,} {r['duplicates']:7,} {r['quarantined']:11,}"
        )
    polars, pandas = medians["polars"], medians["pandas"]
    same = all(
        run[k] == pandas[k] for run in runs["polars"] + runs["pandas"] for k in ("cleaned", "duplicates", "quarantined")
    )
    print(
        f"\nmedian of {args.repeat} runs each; "
        f"speed-up Polars vs pandas: {pandas['seconds'] / polars['seconds']:.1f}x; "
        f"same accounting: {same}"
    )


if __name__ == "__main__":
    from results_page import results_page

    with results_page(__file__):
        main()
