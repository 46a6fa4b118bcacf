"""Archive import: throughput and peak memory of `sentiment-platform import` on a large CSV.

Run: python benchmarks/archive_import.py [--gigabytes 2] [--compress none|gzip|zstd] [--keep DIR]

Writes a CSV of about --gigabytes of synthetic tweets in time order over 30 days of 2015 (id,
brand, text with quotes, commas and HTML entities, local Los Angeles time without an offset, user),
optionally compressed, then runs the import command on it, as a user would, in a child process:
    sentiment-platform import FILE --format csv --map ... --time-format ... --timezone ...
and prints rows per second and the child's peak resident memory beside the targets
(>= 50,000 rows/s; < 1 GB RSS whatever the file's size).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa

TARGET_ROWS_PER_S = 50_000
TARGET_RSS_BYTES = 1 << 30
PHRASES = [
    "Thanks &amp; kudos to the crew, a smooth flight",
    'They said "boarding soon" two hours ago',
    "Lost my bag again, third time this month",
    "Is the lounge in terminal B open this late?",
    "Great service today &lt;3 will fly again",
    "Delayed, cancelled, rebooked: what a day",
]


def write_archive(path: Path, target_bytes: int, rows_per_chunk: int = 500_000) -> int:
    """Write the CSV in chunks (never the whole file in memory); returns its rows."""
    rng = np.random.default_rng(7)
    start, span = datetime(2015, 2, 1), timedelta(days=30)
    rows, written = 0, 0
    # Rows per chunk at ~110 bytes a row: enough chunks to reach the target, times spread evenly.
    chunks = max(1, target_bytes // (rows_per_chunk * 110) + 1)
    with open(path, "wb") as file:
        file.write(b"tweet_id,airline,text,tweet_created,user\n")
        for chunk in range(chunks):
            offsets = np.sort(rng.integers(0, int(span.total_seconds()) // chunks, rows_per_chunk))
            offsets += chunk * (int(span.total_seconds()) // chunks)
            frame = pl.DataFrame(
                {
                    "tweet_id": np.arange(rows, rows + rows_per_chunk) + 560_000_000_000_000_000,
                    "airline": pl.Series(["Delta", "United", "Southwest", "Virgin America"]).gather(
                        rng.integers(0, 4, rows_per_chunk)
                    ),
                    "text": pl.Series(PHRASES).gather(rng.integers(0, len(PHRASES), rows_per_chunk))
                    + " #"
                    + pl.Series(rng.integers(0, 10_000, rows_per_chunk)).cast(pl.String),
                    "tweet_created": pl.Series(offsets * 1_000_000).cast(pl.Datetime("us"))
                    + (start - datetime(1970, 1, 1)),
                    "user": pl.Series(rng.integers(0, 200_000, rows_per_chunk)).cast(pl.String),
                }
            ).with_columns(
                pl.col("tweet_created").dt.strftime("%m/%d/%Y %H:%M:%S"),
                pl.concat_str(pl.lit("user"), "user").alias("user"),
            )
            data = frame.write_csv(include_header=False).encode()
            file.write(data)
            rows, written = rows + rows_per_chunk, written + len(data)
            if written >= target_bytes:
                break
    return rows


def compress(path: Path, kind: str) -> Path:
    if kind == "none":
        return path
    target = path.with_suffix(f".csv.{'gz' if kind == 'gzip' else 'zst'}")
    with open(path, "rb") as source, pa.output_stream(str(target), compression=kind) as sink:
        while block := source.read(16 << 20):
            sink.write(block)
    path.unlink()
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--gigabytes", type=float, default=2.0)
    parser.add_argument("--compress", choices=["none", "gzip", "zstd"], default="none")
    parser.add_argument("--keep", help="work in this folder and keep it (default: a temporary one)")
    args = parser.parse_args()
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="archive-import-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        started = time.perf_counter()
        csv_path = work / "archive.csv"
        rows = write_archive(csv_path, int(args.gigabytes * (1 << 30)))
        csv_bytes = csv_path.stat().st_size
        archive = compress(csv_path, args.compress)
        print(
            f"archive: {rows:,} rows, {csv_bytes / (1 << 30):.2f} GiB of CSV ({args.compress}: "
            f"{archive.stat().st_size / (1 << 30):.2f} GiB on disk), written in {time.perf_counter() - started:.0f} s"
        )
        env = {
            **os.environ,
            "SENTIMENT_PARTITIONS_START": "2015-01-01",
            "SENTIMENT_LAKE_ROOT": str(work / "lake"),
            "COLUMNS": "200",
        }
        command = [
            str(Path(sys.executable).with_name("sentiment-platform")),
            "import",
            str(archive),
            "--format",
            "csv",
            "--map",
            "id=tweet_id,topic=airline,text=text,created_at=tweet_created,handle=user",
            "--time-format",
            "%m/%d/%Y %H:%M:%S",
            "--timezone",
            "America/Los_Angeles",
        ]
        started = time.perf_counter()
        result = subprocess.run(command, env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024  # kB on Linux
        if result.returncode != 0:
            raise SystemExit(result.stdout + result.stderr)
        summary = next(line for line in result.stdout.splitlines() if line.startswith("read "))
        print(summary)
        print(
            f"import: {seconds:.1f} s, {rows / seconds:,.0f} rows/s (target >= {TARGET_ROWS_PER_S:,}), "
            f"{csv_bytes / seconds / (1 << 20):.0f} MiB/s of CSV"
        )
        print(
            f"peak RSS of the import process: {peak / (1 << 20):.0f} MiB (target < {TARGET_RSS_BYTES >> 20} MiB, "
            f"the file: {csv_bytes >> 20} MiB)"
        )
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    from results_page import results_page

    with results_page(__file__):
        main()
